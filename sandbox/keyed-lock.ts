// Runs tasks one at a time per key (tasks under different keys run concurrently). The gateway
// uses it so that a role's inline-policy quota check and the write it admits happen together: two
// concurrent PutRolePolicy calls on one role must not both pass against the same old total.

export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
