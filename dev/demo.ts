// `npm run demo`: starts its own embedded stack (separate ports and data under .data/demo, so it
// runs beside `npm run dev`) and plays every runbook kind through the CLI's code paths, one after
// another (`--only <kind>` plays one). The last line is one JSON object for scripts:
// {"runbooks":[{"kind":"break-glass",…},{"kind":"access-key-rotation",…},…,{"kind":"access-review",…},{"kind":"runbook",…}]}.
import fs from 'node:fs';
import path from 'node:path';
import { playOnOwnStack } from './demo-plays';
import { parseDemoArgs } from './demo-args';
import { REPO_ROOT } from './temporal-server';

const say = (m: string): void => {
  process.stdout.write(`${m}\n`);
};

async function main(): Promise<number> {
  const kinds = parseDemoArgs(process.argv.slice(2));
  const dataDir = path.join(REPO_ROOT, '.data', 'demo');
  fs.rmSync(dataDir, { recursive: true, force: true });
  const t0 = Date.now();
  const { played, chain, evidenceDir } = await playOnOwnStack({
    stack: { dataDir, headless: true, log: (m) => say(`· ${m}`) },
    kinds,
    out: { say, note: say },
    onStackUp: (info) =>
      say(`· stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (Temporal ${info.temporalAddress}, sandbox ${info.awsEndpoint}, policy ${path.relative(REPO_ROOT, info.policyFile)})`),
  });
  say('');
  say(`evidence: ${chain.entries} record(s), chain ${chain.ok ? 'intact' : 'BROKEN'} (${path.relative(REPO_ROOT, evidenceDir)}/evidence.jsonl)`);
  const runbooks = played.map(({ ok: _ok, ...r }) => (r.kind === 'break-glass' ? { ...r, evidenceChainIntact: chain.ok } : r));
  say(JSON.stringify({ runbooks }));
  return played.length > 0 && played.every((p) => p.ok) && chain.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`safeguard demo: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
