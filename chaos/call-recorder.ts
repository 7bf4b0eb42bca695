// Keeps the gateway's call log for the whole chaos run: the gateway holds only its latest 20,000
// calls, and a run makes more, so the recorder polls GET /_sandbox/calls?since=<last seq> and
// appends to ledger.calls. Each poll has a timeout (a slow or stalled gateway must not stall the
// run) and the next one starts only after it ends. A gap in the sequence numbers means calls rolled
// out before a poll read them: the recorder counts them in ledger.callsLost rather than pretend the
// log is whole.
import type { CallRecord } from '../sandbox/call-log';
import { ACTIONS_WITH_CHECKED_PARAMS } from './checks/calls';
import type { ChaosLedger } from './ledger';

export interface CallRecorderOptions {
  /** How long one poll may take (default 10 s). */
  pollTimeoutMs?: number;
  /**
   * Keep every call's parameters (default false: only the calls a final check reads keep theirs,
   * ACTIONS_WITH_CHECKED_PARAMS; a 15-minute run records tens of thousands of calls).
   */
  keepAllParams?: boolean;
  /** Told about failed polls (the message names no secret: the log holds none). */
  log?: (msg: string) => void;
}

export interface CallRecorder {
  /** Stops polling, then polls once more (a few tries) so the calls up to now are in the ledger. */
  stop(): Promise<void>;
  /** The last sequence number appended. */
  readonly lastSeq: number;
  /** Polls that failed (timed out, gateway down or answering an error). */
  readonly failedPolls: number;
}

interface CallsPage {
  calls: CallRecord[];
  /** The gateway's newest sequence number (absent from gateways older than the field). */
  lastSeq?: number;
}

export interface RecorderState {
  lastSeq: number;
  /** Nothing read yet: the first page may start anywhere (the gateway kept what it kept). */
  first: boolean;
}

export interface PageUpdate {
  append: CallRecord[];
  lost: number;
  state: RecorderState;
}

/**
 * What one page adds to the ledger. Pure. Calls before the run started (the first page returns the
 * whole buffer) are not the run's. A first sequence number past `lastSeq + 1` is a gap: those calls
 * rolled out of the gateway's buffer. A gateway whose newest number is below ours was restarted:
 * its numbering starts again, and the next poll asks from zero.
 */
export function applyPage(state: RecorderState, page: CallsPage, runStartedAtMs: number, keep: (c: CallRecord) => CallRecord): PageUpdate {
  if (page.lastSeq !== undefined && page.lastSeq < state.lastSeq) {
    return { append: [], lost: 0, state: { lastSeq: 0, first: true } };
  }
  const fresh = page.calls.filter((c) => c.seq > state.lastSeq).sort((a, b) => a.seq - b.seq);
  const oldest = fresh[0];
  const lost = !state.first && oldest !== undefined ? Math.max(0, oldest.seq - state.lastSeq - 1) : 0;
  const append = fresh.filter((c) => Date.parse(c.at) >= runStartedAtMs).map(keep);
  const newest = fresh[fresh.length - 1];
  return { append, lost, state: { lastSeq: newest?.seq ?? state.lastSeq, first: state.first && newest === undefined } };
}

/** The call with only the parameters the checks read (the rest of the record is small). */
export function slimCall(call: CallRecord): CallRecord {
  return ACTIONS_WITH_CHECKED_PARAMS.has(call.action) ? call : { ...call, params: {} };
}

const FINAL_POLL_TRIES = 3;

export function startCallRecorder(awsEndpoint: string, ledger: ChaosLedger, intervalMs = 1000, opts: CallRecorderOptions = {}): CallRecorder {
  const base = awsEndpoint.replace(/\/+$/, '');
  const pollTimeoutMs = opts.pollTimeoutMs ?? 10_000;
  const keep = opts.keepAllParams ? (c: CallRecord) => c : slimCall;
  const log = opts.log ?? (() => undefined);
  let state: RecorderState = { lastSeq: 0, first: true };
  let failedPolls = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<boolean> = Promise.resolve(true);

  async function fetchPage(): Promise<CallsPage> {
    const res = await fetch(`${base}/_sandbox/calls?since=${state.lastSeq}`, { signal: AbortSignal.timeout(pollTimeoutMs) });
    if (!res.ok) throw new Error(`GET /_sandbox/calls answered HTTP ${res.status}`);
    return (await res.json()) as CallsPage;
  }

  /** One poll; true when it read the gateway. Never throws: a failed poll is retried by the next. */
  async function poll(): Promise<boolean> {
    try {
      const update = applyPage(state, await fetchPage(), ledger.startedAtMs, keep);
      for (const c of update.append) ledger.calls.push(c);
      if (update.lost > 0) ledger.callsLost = (ledger.callsLost ?? 0) + update.lost;
      state = update.state;
      return true;
    } catch (err) {
      failedPolls++;
      log(`call recorder: poll failed (${err instanceof Error ? err.message : String(err)}); retrying in ${intervalMs} ms`);
      return false;
    }
  }

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = poll();
      void inFlight.then(schedule);
    }, intervalMs);
  };
  inFlight = poll();
  void inFlight.then(schedule);

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      for (let i = 0; i < FINAL_POLL_TRIES && !(await poll()); i++) {
        await new Promise((r) => setTimeout(r, Math.min(intervalMs, 1000)));
      }
    },
    get lastSeq() {
      return state.lastSeq;
    },
    get failedPolls() {
      return failedPolls;
    },
  };
}
