// Is moto the bottleneck of vending? moto is single-threaded, so the issue asks to show it by
// measuring moto alone. This section times the AWS calls on the vending path — sts:AssumeRole as the
// broker (the api's vend and the worker's verifyGrant), sts:GetCallerIdentity (the api's caller
// authentication, verifyGrant's check) and the first use (S3 ListBuckets with assumed-role
// credentials) — sent straight to moto and through the gateway, one at a time and five at a time.
// Then it runs a few real grants to learn how many of each call one vending makes and how long the
// whole path takes, and splits the path's time into moto, the gateway's overhead, and everything
// outside AWS (Temporal, the worker, the api, the clients).
import fs from 'node:fs';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { StackInfo } from '../../dev/stack';
import type { SandboxFile, SandboxSeed } from '../../sandbox';
import { ms } from '../figures';
import type { Figure } from '../figures';
import type { BenchSection } from '../section';
import { summarize } from '../stats';
import { WAVE_SIZE, callBreakdown, grantDriver, measureVending, stackProcesses } from './vending';
import type { VendingRun } from './vending';

export type Target = 'moto' | 'gateway';
export const CONCURRENCIES = [1, WAVE_SIZE] as const;
/** Grants run to learn the vending path's calls: a few one at a time, and one wave. */
const PATH_GRANTS_ONE_AT_A_TIME = 3;
const WARM_UP_CALLS = 3;
const MIN_CALL_SAMPLES = 20;

/** One AWS call of the vending path, as the call log names it and as this section sends it. */
interface CallKind {
  key: string;
  /** Names in the gateway's call log (S3 REST calls are logged without an action: `s3:unknown`). */
  logNames: string[];
  send(target: Target): Promise<unknown>;
}

export interface CallTiming {
  call: string;
  target: Target;
  concurrency: number;
  p50Ms: number;
  p95Ms: number;
  /** Completed calls per second over the run (moto serialising shows as no gain from concurrency). */
  perSecond: number;
  samples: number;
}

/** `samples` calls, `concurrency` in flight at once; each call's latency and the calls per second. */
export async function timeCalls(send: () => Promise<unknown>, samples: number, concurrency: number): Promise<{ latencies: number[]; perSecond: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < samples) {
        next += 1;
        const t = performance.now();
        await send();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, perSecond: (latencies.length * 1000) / (performance.now() - t0) };
}

/** Clients for both targets, signed with the same keys the vending path uses. */
async function callKinds(info: StackInfo, motoEndpoint: string): Promise<{ kinds: CallKind[]; close(): void }> {
  const seed = JSON.parse(fs.readFileSync(info.sandboxFile, 'utf8')) as SandboxFile<SandboxSeed>;
  const alice = seed.people['alice'];
  if (!alice) throw new Error('the sandbox has no keys for alice');
  const endpoints: Record<Target, string> = { moto: motoEndpoint, gateway: info.awsEndpoint };
  const clients: Array<{ destroy(): void }> = [];
  const sts = (target: Target, credentials: AwsCredentialIdentity): STSClient => {
    const c = new STSClient({ region: info.region, endpoint: endpoints[target], credentials, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const broker = { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey };
  const person = { accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey };
  const brokerSts = { moto: sts('moto', broker), gateway: sts('gateway', broker) };
  const personSts = { moto: sts('moto', person), gateway: sts('gateway', person) };
  let session = 0;
  // What client/vending.ts sends: the grant's session name, SourceIdentity, a session tag, a duration.
  const assumeRole = (target: Target) =>
    brokerSts[target].send(
      new AssumeRoleCommand({
        RoleArn: seed.roles.BreakGlassAdmin,
        RoleSessionName: `bench-moto-alone-${++session}`,
        SourceIdentity: 'alice',
        Tags: [{ Key: 'safeguard:grant', Value: 'bench-moto-alone' }],
        DurationSeconds: 900,
      }),
    );
  // Assumed through the gateway, which learns them (as it learns vended credentials); moto issued them.
  const c = (await assumeRole('gateway')).Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole through the gateway returned no credentials');
  const assumed = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  const s3 = (target: Target): S3Client => {
    const client = new S3Client({ region: info.region, endpoint: endpoints[target], forcePathStyle: true, credentials: assumed, maxAttempts: 1 });
    clients.push(client);
    return client;
  };
  const roleS3 = { moto: s3('moto'), gateway: s3('gateway') };
  return {
    kinds: [
      { key: 'assumeRole', logNames: ['sts:AssumeRole'], send: assumeRole },
      { key: 'getCallerIdentity', logNames: ['sts:GetCallerIdentity'], send: (t) => personSts[t].send(new GetCallerIdentityCommand({})) },
      { key: 'listBuckets', logNames: ['s3:ListBuckets', 's3:unknown'], send: (t) => roleS3[t].send(new ListBucketsCommand({})) },
    ],
    close: () => clients.forEach((x) => x.destroy()),
  };
}

export async function measureCalls(info: StackInfo, motoEndpoint: string, samples: number, log: (m: string) => void): Promise<{ kinds: CallKind[]; timings: CallTiming[] }> {
  const { kinds, close } = await callKinds(info, motoEndpoint);
  const timings: CallTiming[] = [];
  try {
    for (const concurrency of CONCURRENCIES) {
      for (const kind of kinds) {
        for (const target of ['moto', 'gateway'] as const) {
          for (let i = 0; i < WARM_UP_CALLS; i++) await kind.send(target);
          const r = await timeCalls(() => kind.send(target), samples, concurrency);
          const s = summarize(r.latencies);
          timings.push({ call: kind.key, target, concurrency, p50Ms: s.p50, p95Ms: s.p95, perSecond: r.perSecond, samples: s.n });
        }
      }
      log(`moto: calls timed at concurrency ${concurrency}`);
    }
  } finally {
    close();
  }
  return { kinds, timings };
}

/** One vending's calls, with the latency each has sent straight to moto (when measured) and through the gateway. */
export interface PathCall {
  call: string;
  perGrant: number;
  motoMs?: number;
  gatewayMs: number;
}

export interface PathSplit {
  pathMs: number;
  /** What the measured calls take at moto itself. */
  motoMs: number;
  /** What the gateway adds to them (signature checks, trust policy lookups, forwarding). */
  gatewayOverheadMs: number;
  /** Calls not timed here (their time in the gateway's call log), not split between moto and the gateway. */
  otherAwsMs: number;
  /** Temporal, the worker, the api and the clients: the path minus its AWS calls. */
  outsideAwsMs: number;
  bottleneck: 'moto' | 'the gateway' | 'outside AWS';
}

/** Splits a vending path's time between moto, the gateway and everything else; the largest part is the bottleneck. */
export function splitPath(pathMs: number, calls: PathCall[]): PathSplit {
  let motoMs = 0;
  let viaGatewayMs = 0;
  let otherAwsMs = 0;
  for (const c of calls) {
    if (c.motoMs === undefined) otherAwsMs += c.perGrant * c.gatewayMs;
    else {
      motoMs += c.perGrant * c.motoMs;
      viaGatewayMs += c.perGrant * c.gatewayMs;
    }
  }
  const gatewayOverheadMs = Math.max(0, viaGatewayMs - motoMs);
  const outsideAwsMs = Math.max(0, pathMs - viaGatewayMs - otherAwsMs);
  const parts: Array<[PathSplit['bottleneck'], number]> = [
    ['moto', motoMs],
    ['the gateway', gatewayOverheadMs],
    ['outside AWS', outsideAwsMs],
  ];
  const bottleneck = parts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return { pathMs, motoMs, gatewayOverheadMs, otherAwsMs, outsideAwsMs, bottleneck };
}

/** The vending path's calls at one concurrency, priced with this section's timings. */
export function pathCalls(run: VendingRun, kinds: Array<Pick<CallKind, 'key' | 'logNames'>>, timings: CallTiming[]): PathCall[] {
  const at = (key: string, target: Target): number | undefined => timings.find((t) => t.call === key && t.target === target && t.concurrency === run.concurrency)?.p50Ms;
  return callBreakdown(run.waves).map((c) => {
    const kind = kinds.find((k) => k.logNames.includes(c.call));
    const moto = kind ? at(kind.key, 'moto') : undefined;
    const gateway = kind ? at(kind.key, 'gateway') : undefined;
    return { call: c.call, perGrant: c.perGrant, ...(moto !== undefined ? { motoMs: moto } : {}), gatewayMs: gateway ?? c.medianMs };
  });
}

function splitNote(concurrency: number, split: PathSplit, samples: number): string {
  const pct = (x: number): string => `${Math.round((100 * x) / split.pathMs)}%`;
  return (
    `vending path at concurrency ${concurrency} (median of ${samples} grants, ${ms(split.pathMs)}): moto ${ms(split.motoMs)} (${pct(split.motoMs)}), ` +
    `gateway overhead ${ms(split.gatewayOverheadMs)} (${pct(split.gatewayOverheadMs)}), other AWS calls ${ms(split.otherAwsMs)}, ` +
    `outside AWS ${ms(split.outsideAwsMs)} (${pct(split.outsideAwsMs)}) — the largest part is ${split.bottleneck}`
  );
}

export function motoAloneFigure(timings: CallTiming[], paths: Array<{ run: VendingRun; split: PathSplit }>): Figure {
  const get = (call: string, target: Target, c: number): CallTiming | undefined => timings.find((t) => t.call === call && t.target === target && t.concurrency === c);
  const calls = [...new Set(timings.map((t) => t.call))];
  const values: Record<string, number | null> = {};
  for (const t of timings) {
    const k = `${t.call}${t.target === 'moto' ? 'Moto' : 'Gateway'}C${t.concurrency}`;
    values[`${k}P50Ms`] = t.p50Ms;
    values[`${k}P95Ms`] = t.p95Ms;
    values[`${k}PerSecond`] = Math.round(t.perSecond);
  }
  for (const { run, split } of paths) {
    values[`pathC${run.concurrency}Ms`] = split.pathMs;
    values[`pathC${run.concurrency}MotoMs`] = split.motoMs;
    values[`pathC${run.concurrency}GatewayOverheadMs`] = split.gatewayOverheadMs;
    values[`pathC${run.concurrency}OutsideAwsMs`] = split.outsideAwsMs;
  }
  const shownAt = (c: number): string => `c${c} ${calls.map((call) => `${call} ${Math.round(get(call, 'moto', c)?.p50Ms ?? NaN)}/${Math.round(get(call, 'gateway', c)?.p50Ms ?? NaN)}`).join(', ')}`;
  const scaling = calls.map((call) => {
    const [one, many] = [get(call, 'moto', 1), get(call, 'moto', WAVE_SIZE)];
    return one && many ? `${call} ${Math.round(one.perSecond)} → ${Math.round(many.perSecond)}/s` : '';
  });
  return {
    id: 'motoAlone',
    what: 'AWS calls of the vending path straight to moto vs through the gateway',
    samples: timings.reduce((n, t) => n + t.samples, 0),
    values,
    shown: `p50 ms moto/gateway: ${CONCURRENCIES.map(shownAt).join('; ')}`,
    notes: [
      'each call timed from the client (AWS SDK v3, keep-alive), the same keys to both: the broker for AssumeRole, alice for GetCallerIdentity, assumed-role credentials for ListBuckets',
      `moto alone, calls per second at concurrency 1 → ${WAVE_SIZE}: ${scaling.join(', ')} (no gain means moto serialises the calls)`,
      ...paths.map(({ run, split }) => splitNote(run.concurrency, split, run.samples.length)),
      `the split prices each call of the path (counted in the gateway's call log) at this section's p50 for the same concurrency; at ${WAVE_SIZE} that is an upper bound for moto, since not every call of a wave overlaps with the others`,
    ],
  };
}

export const motoAloneSection: BenchSection = {
  name: 'moto',
  async run(bench) {
    const { info } = bench.stack;
    // Single calls are cheap: twice the vending section's grants per call, target and concurrency.
    const samples = Math.max(MIN_CALL_SAMPLES, 2 * bench.sizes.vendingGrants);
    const { kinds, timings } = await measureCalls(info, bench.stack.sandbox.motoEndpoint, samples, bench.log);
    bench.log('moto: a few real grants, to learn the vending path’s calls');
    const d = await grantDriver(info, bench.ctx, bench.log, stackProcesses(bench.stack));
    const paths: Array<{ run: VendingRun; split: PathSplit }> = [];
    for (const [grants, concurrency] of [[PATH_GRANTS_ONE_AT_A_TIME, 1], [WAVE_SIZE, WAVE_SIZE]] as const) {
      const run = await measureVending(d, grants, concurrency);
      if (run.samples.length === 0) throw new Error(`no reference grant reached first use at concurrency ${concurrency}: ${run.failures[0] ?? 'no samples'}`);
      paths.push({ run, split: splitPath(summarize(run.samples.map((s) => s.totalMs)).p50, pathCalls(run, kinds, timings)) });
    }
    return [motoAloneFigure(timings, paths)];
  },
};
