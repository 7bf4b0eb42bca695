// In-memory record of every AWS call that passed through the gateway, for test assertions.

export interface CallRecord {
  seq: number;
  /** ISO-8601 time the call arrived. */
  at: string;
  service: string;
  action: string;
  /** Decoded request parameters, secrets redacted. */
  params: Record<string, unknown>;
  /**
   * Who made the call: the principal ARN (IAM user or assumed-role session) of the key whose
   * signature the gateway verified; undefined when the call was not validly signed. Access key
   * ids are never recorded: this log is served to anyone who can reach the gateway.
   */
  caller: string | undefined;
  /** HTTP status returned to the caller. */
  status: number;
  /** AWS error code when the call failed (e.g. `Throttling`, `NoSuchEntity`). */
  error?: string;
  /** Set when an injected fault decided the outcome (or delayed the call). */
  fault?: { id: string; kind: FaultKindName };
  /** Whether the gateway answered itself (`gateway`) or moto did (`moto`). */
  servedBy: 'moto' | 'gateway' | 'fault';
  durationMs: number;
}

export type FaultKindName = 'throttle' | '5xx' | 'latency';

export interface CallFilter {
  /** Only calls with seq strictly greater than this. */
  since?: number;
  service?: string;
  action?: string;
}

export class CallLog {
  private calls: CallRecord[] = [];
  private nextSeq = 1;

  constructor(private readonly maxEntries = 20_000) {}

  record(entry: Omit<CallRecord, 'seq'>): CallRecord {
    const rec: CallRecord = { seq: this.nextSeq++, ...entry };
    this.calls.push(rec);
    if (this.calls.length > this.maxEntries) this.calls.splice(0, this.calls.length - this.maxEntries);
    return rec;
  }

  list(filter: CallFilter = {}): CallRecord[] {
    return this.calls.filter(
      (c) =>
        (filter.since === undefined || c.seq > filter.since) &&
        (filter.service === undefined || c.service.toLowerCase() === filter.service.toLowerCase()) &&
        (filter.action === undefined || c.action === filter.action),
    );
  }

  /** Forgets recorded calls; sequence numbers keep increasing so `since` stays meaningful. */
  clear(): void {
    this.calls = [];
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }
}
