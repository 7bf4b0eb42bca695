// Benchmark: what the keyed, anchored evidence chain costs. Appends N records to a fresh store three
// ways (unkeyed as before #12; keyed with the local working-copy anchor; keyed with a second local
// anchor store standing in for S3's extra write) and prints append latency, then how long
// `audit verify`'s check of the whole chain takes. Local disk only: the S3 round trip is the
// network's, not ours (test/integration/evidence-anchors.test.ts exercises it).
//   npm run bench:evidence -- --records 2000
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeVersionNotice } from '../config/node-version';
import { LocalAnchorStore } from '../evidence/anchors/local';
import type { EvidenceKeyRing } from '../evidence/evidence-key';
import { EvidenceStore } from '../evidence/store';
import { summarize } from './stats';

const record = (i: number): Record<string, unknown> => ({
  workflowId: `breakglass-BreakGlassAdmin-${i.toString(16).padStart(8, '0')}`,
  runId: `run-${i}`,
  outcome: 'revoked',
  requester: 'alice',
  role: 'BreakGlassAdmin',
  approvers: ['bob'],
  reason: 'orders database is refusing connections; need to restart it',
  revocation: { verified: true, checkedAt: new Date().toISOString(), steps: ['deny-statement', 'sessions', 'credentials'] },
});

async function run(label: string, n: number, make: (dir: string) => EvidenceStore): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-evidence-'));
  try {
    const store = make(dir);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      await store.append({ id: `r-${i}`, kind: 'break-glass', record: record(i) });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const v0 = process.hrtime.bigint();
    const result = await make(dir).verify();
    const verifyMs = Number(process.hrtime.bigint() - v0) / 1e6;
    if (!result.ok) throw new Error(`${label}: the chain does not verify: ${result.problems[0]?.problem ?? ''}`);
    const s = summarize(times);
    const bytes = fs.statSync(path.join(dir, 'evidence.jsonl')).size;
    process.stdout.write(
      `${label.padEnd(34)} append p50 ${s.p50.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms (n=${s.n}, fsync each)   verify ${n} entries ${verifyMs.toFixed(0)} ms (${((n / verifyMs) * 1000).toFixed(0)}/s), ${(bytes / 1024).toFixed(0)} KiB\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  nodeVersionNotice();
  const i = process.argv.indexOf('--records');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 2000;
  if (!Number.isInteger(n) || n < 10 || n > 200_000) throw new Error('--records must be an integer from 10 to 200000');
  const keys: EvidenceKeyRing = { activeKeyId: 'e1', keys: new Map([['e1', randomBytes(32)]]) };
  process.stdout.write(`evidence chain, ${n} records of ~${JSON.stringify(record(0)).length} bytes, on ${os.tmpdir()} (Node ${process.version}, ${os.cpus().length} CPUs)\n`);
  await run('unkeyed (v1, before #12)', n, (dir) => new EvidenceStore(dir));
  await run('keyed + local anchor', n, (dir) => new EvidenceStore(dir, { keys, anchors: [new LocalAnchorStore(dir)] }));
  const second = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-anchors-'));
  try {
    await run('keyed + two anchor stores', n, (dir) => new EvidenceStore(dir, { keys, anchors: [new LocalAnchorStore(dir), new LocalAnchorStore(second)] }));
  } finally {
    fs.rmSync(second, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:evidence: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
