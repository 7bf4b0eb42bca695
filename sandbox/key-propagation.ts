// IAM is eventually consistent: a key CreateAccessKey just returned is refused for a few seconds
// (403 InvalidClientTokenId, or UnrecognizedClientException from JSON services) until it has
// propagated. moto accepts it at once. The gateway records when each key created through it was
// issued and treats it as unknown until `delayMs` has passed. Keys the sandbox seeds directly in
// moto were never seen here, so they are usable at once. Pure apart from the injected clock.

/** Bound on keys remembered at once (a run creating keys in a loop must not grow memory without end). */
const MAX_TRACKED = 10_000;

export class KeyPropagation {
  private readonly issuedAt = new Map<string, number>();

  constructor(
    private delayMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`newKeyDelayMs must be a number ≥ 0, got ${delayMs}`);
  }

  get delay(): number {
    return this.delayMs;
  }

  /** iam:CreateAccessKey returned `accessKeyId`. */
  created(accessKeyId: string): void {
    if (this.delayMs === 0) return;
    if (this.issuedAt.size >= MAX_TRACKED) this.forgetPropagated();
    this.issuedAt.set(accessKeyId, this.now());
  }

  /** Whether a call signed with `accessKeyId` must still be refused; ms left in `remainingMs`. */
  pending(accessKeyId: string): boolean {
    return this.remainingMs(accessKeyId) > 0;
  }

  remainingMs(accessKeyId: string): number {
    const at = this.issuedAt.get(accessKeyId);
    if (at === undefined) return 0;
    const left = at + this.delayMs - this.now();
    if (left <= 0) this.issuedAt.delete(accessKeyId);
    return Math.max(0, left);
  }

  private forgetPropagated(): void {
    const now = this.now();
    for (const [id, at] of this.issuedAt) if (at + this.delayMs <= now) this.issuedAt.delete(id);
    // Still full: every key is fresh. Drop the oldest; they are the closest to usable anyway.
    while (this.issuedAt.size >= MAX_TRACKED) {
      const oldest = this.issuedAt.keys().next().value;
      if (oldest === undefined) break;
      this.issuedAt.delete(oldest);
    }
  }
}
