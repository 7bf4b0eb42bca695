// Benchmark: how long seeding a fresh sandbox takes (roles deployed from deploy/cloudformation
// through moto's CloudFormation, people, service users, keys, databases), for the examples' policy
// and the integration tier's. Every integration file that starts its own sandbox pays this. Each run
// gets a fresh moto, started as the sandbox starts it; prints the median and moto's CPU time.
//   npm run bench:seed -- --runs 5
import fs from 'node:fs';
import path from 'node:path';
import { nodeVersionNotice } from '../config/node-version';
import { loadPolicyFile } from '../config/policy';
import { REPO_ROOT } from '../config/stack-file';
import { startMoto } from '../sandbox/moto';
import { seedSandbox } from '../sandbox/seed';
import { DEFAULT_SEED_PLAN, seedPlanFromPolicy } from '../sandbox/seed-plan';
import { summarize } from './stats';

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main(): Promise<void> {
  nodeVersionNotice();
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error('--runs must be an integer from 1 to 50');
  const plans = {
    'examples/policy.yaml': DEFAULT_SEED_PLAN,
    'test/fixtures/policies/integration.yaml': seedPlanFromPolicy(loadPolicyFile(path.join(REPO_ROOT, 'test/fixtures/policies/integration.yaml'))),
  };
  for (const [name, plan] of Object.entries(plans)) {
    const wall: number[] = [];
    const motoCpu: number[] = [];
    for (let r = 0; r < runs; r++) {
      const moto = await startMoto();
      try {
        const c0 = cpuMs(moto.pid);
        const t0 = performance.now();
        await seedSandbox(moto.endpoint, { plan });
        wall.push(performance.now() - t0);
        motoCpu.push(cpuMs(moto.pid) - c0);
      } finally {
        await moto.stop();
      }
    }
    const w = summarize(wall);
    const c = summarize(motoCpu);
    process.stdout.write(`seed ${name}: median ${Math.round(w.p50)} ms, max ${Math.round(w.max)} ms over ${w.n} runs; moto CPU median ${Math.round(c.p50)} ms\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:seed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
