// The chaos call recorder (chaos/call-recorder.ts): what a page of the gateway's call log adds to
// the ledger, and the recorder against a gateway on loopback that drops old calls and stalls.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyPage, slimCall, startCallRecorder } from '../../chaos/call-recorder';
import { newLedger } from '../../chaos/ledger';
import type { CallRecord } from '../../sandbox/call-log';

const T0 = Date.parse('2026-03-01T10:00:00Z');

function call(seq: number, over: Partial<CallRecord> = {}): CallRecord {
  return {
    seq,
    at: new Date(T0 + seq * 1000).toISOString(),
    service: 'iam',
    action: 'ListRoles',
    params: { MaxItems: '1' },
    caller: 'arn:aws:iam::123456789012:user/alice',
    status: 200,
    servedBy: 'moto',
    durationMs: 3,
    ...over,
  };
}

const keepAll = (c: CallRecord): CallRecord => c;

describe('applyPage', () => {
  it('keeps the first page from the run start on, without calling the buffer\'s earlier calls lost', () => {
    const u = applyPage({ lastSeq: 0, first: true }, { calls: [call(40), call(41), call(42)], lastSeq: 42 }, T0 + 41_000, keepAll);
    expect(u.append.map((c) => c.seq)).toEqual([41, 42]);
    expect(u.lost).toBe(0);
    expect(u.state).toEqual({ lastSeq: 42, first: false });
  });

  it('counts the calls that rolled out of the buffer between two polls', () => {
    const u = applyPage({ lastSeq: 42, first: false }, { calls: [call(50), call(51)], lastSeq: 51 }, T0, keepAll);
    expect(u.append.map((c) => c.seq)).toEqual([50, 51]);
    expect(u.lost).toBe(7);
  });

  it('ignores calls it already has and keeps sequence order', () => {
    const u = applyPage({ lastSeq: 42, first: false }, { calls: [call(44), call(42), call(43)], lastSeq: 44 }, T0, keepAll);
    expect(u.append.map((c) => c.seq)).toEqual([43, 44]);
    expect(u.lost).toBe(0);
  });

  it('starts again from zero when the gateway was restarted (its numbering went back)', () => {
    const u = applyPage({ lastSeq: 900, first: false }, { calls: [call(3)], lastSeq: 3 }, T0, keepAll);
    expect(u.append).toEqual([]);
    expect(u.state).toEqual({ lastSeq: 0, first: true });
  });

  it('an empty page changes nothing', () => {
    expect(applyPage({ lastSeq: 7, first: false }, { calls: [], lastSeq: 7 }, T0, keepAll)).toEqual({ append: [], lost: 0, state: { lastSeq: 7, first: false } });
  });
});

describe('slimCall', () => {
  it('keeps the parameters the checks read and drops the others', () => {
    expect(slimCall(call(1, { action: 'CreateAccessKey', params: { UserName: 'svc-a' } })).params).toEqual({ UserName: 'svc-a' });
    expect(slimCall(call(2, { action: 'AssumeRole', params: { RoleSessionName: 's' } })).params).toEqual({ RoleSessionName: 's' });
    expect(slimCall(call(3)).params).toEqual({});
  });
});

/** A gateway's /_sandbox/calls on loopback, keeping only its last `keep` calls; `stall` makes it hang. */
async function fakeGateway(keep: number): Promise<{ url: string; add(n: number): void; stall: boolean; polls: number; close(): Promise<void> }> {
  let calls: CallRecord[] = [];
  let next = 1;
  const state = {
    url: '',
    stall: false,
    polls: 0,
    add(n: number) {
      for (let i = 0; i < n; i++) calls.push(call(next++, { at: new Date().toISOString() }));
      calls = calls.slice(-keep);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = http.createServer((req, res) => {
    state.polls++;
    if (state.stall) return; // never answers: the recorder's timeout must end the poll
    const since = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('since') ?? '0');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ calls: calls.filter((c) => c.seq > since), lastSeq: next - 1 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startCallRecorder', () => {
  it('accumulates past the gateway\'s buffer, counts what rolled out, survives a stalled gateway, and stop() reads the last calls', async () => {
    const gw = await fakeGateway(5);
    const ledger = newLedger(Date.now() - 1000);
    const recorder = startCallRecorder(gw.url, ledger, 50, { pollTimeoutMs: 200 });
    try {
      for (let i = 0; i < 4; i++) {
        gw.add(4);
        await sleep(150);
      }
      expect(ledger.calls.map((c) => c.seq)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect(ledger.callsLost ?? 0).toBe(0);

      gw.stall = true;
      await sleep(600);
      expect(recorder.failedPolls).toBeGreaterThanOrEqual(1);
      gw.add(9); // 17..25; the buffer keeps 21..25
      gw.stall = false;
      await recorder.stop();
      expect(ledger.calls.map((c) => c.seq).slice(-6)).toEqual([16, 21, 22, 23, 24, 25]);
      expect(ledger.callsLost).toBe(4);
      expect(recorder.lastSeq).toBe(25);
      // Stopped means stopped.
      const polls = gw.polls;
      await sleep(200);
      expect(gw.polls).toBe(polls);
    } finally {
      await recorder.stop();
      await gw.close();
    }
  });
});
