// Doctor's Temporal checks: the frontend answers, the namespace exists, Safeguard's search attributes
// are there as Keyword, the policy's Schedules match the policy, and the reconciler Schedule runs.
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { dataConverterWithCodec } from '../../codec';
import { connectionOptions } from '../../config/temporal';
import { ScheduleClient } from '../../client/schedules';
import type { ScheduleChange } from '../../client/schedules';
import { reconcilerScheduleId } from '../../workflows/break-glass/definitions';
import { addSearchAttributesHint, searchAttributeStatus } from '../../worker/search-attributes';
import type { CheckOutcome, DoctorCheck } from './runner';
import { errorText, need } from './state';
import type { DoctorState } from './state';

/** gRPC status codes (grpc-js is not a direct dependency). */
const grpcStatus = { NOT_FOUND: 5, PERMISSION_DENIED: 7, UNAUTHENTICATED: 16 } as const;

/** The gRPC status of a Temporal error, wrapped (ServiceError's cause) or not. */
function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

const isDenied = (err: unknown): boolean => {
  const code = grpcCode(err);
  return code === grpcStatus.PERMISSION_DENIED || code === grpcStatus.UNAUTHENTICATED;
};

const IDENTITY_FIX = 'check TEMPORAL_API_KEY (an API key with access to this namespace) or the client certificate in TEMPORAL_TLS_CERT_FILE; the worker uses the same identity';

function secondsText(s: number): string {
  if (s % 86_400 === 0) return `${s / 86_400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  return `${s}s`;
}

export const temporalCheck: DoctorCheck<DoctorState> = {
  id: 'temporal',
  check: 'Temporal reachable',
  needs: ['environment', 'temporal-tls'],
  fix: 'check TEMPORAL_ADDRESS (the frontend host:port, 7233 by default) and that this host can reach it',
  async run(state, signal): Promise<CheckOutcome> {
    const target = need(state.target, 'the Temporal target');
    // Part of the check's time: a refused port is retried by gRPC until this deadline.
    const connectTimeout = Math.max(1000, Math.min(5000, state.timeoutMs - 1000));
    let connection: Connection;
    try {
      // A bare connection, not connectTemporal: reachability must be checked even when the codec key is broken.
      connection = await Connection.connect({ ...connectionOptions(target), connectTimeout });
    } catch (err) {
      if (isDenied(err)) return { status: 'FAIL', detail: `Temporal at ${target.address} refused this identity: ${errorText(err)}`, fix: IDENTITY_FIX };
      const fix = state.stack
        ? `start the dev stack (npm run dev), or set TEMPORAL_ADDRESS to check another deployment; the stack file ${state.stack.file} names ${target.address}`
        : `check TEMPORAL_ADDRESS=${target.address} (the frontend host:port, 7233 by default), that Temporal is running and that this host can reach it${target.tls ? '' : '; a TLS endpoint (Temporal Cloud) needs TEMPORAL_TLS=true or TEMPORAL_API_KEY'}`;
      return { status: 'FAIL', detail: `no Temporal frontend answered at ${target.address} within ${connectTimeout / 1000}s (${errorText(err)})`, fix };
    }
    state.connection = connection;
    state.cleanups.push(() => connection.close());
    const info = await connection.withAbortSignal(signal, () => connection.workflowService.getSystemInfo({})).catch(() => undefined);
    return { status: 'ok', detail: `${target.address}${info?.serverVersion ? ` (server ${info.serverVersion})` : ''}` };
  },
};

export const namespaceCheck: DoctorCheck<DoctorState> = {
  id: 'namespace',
  check: 'Temporal namespace',
  needs: ['temporal'],
  fix: 'set TEMPORAL_NAMESPACE to an existing namespace',
  async run(state, signal): Promise<CheckOutcome> {
    const connection = need(state.connection, 'the Temporal connection');
    const namespace = need(state.target, 'the Temporal target').namespace;
    try {
      const res = await connection.withAbortSignal(signal, () => connection.workflowService.describeNamespace({ namespace }));
      const ttl = res.config?.workflowExecutionRetentionTtl?.seconds;
      return { status: 'ok', detail: `${namespace} exists${ttl ? ` (retention ${secondsText(Number(ttl))})` : ''}` };
    } catch (err) {
      if (grpcCode(err) === grpcStatus.NOT_FOUND) {
        return {
          status: 'FAIL',
          detail: `namespace ${namespace} does not exist`,
          fix: `create it (temporal operator namespace create --namespace ${namespace}; Temporal Cloud: the Cloud console or tcld) or set TEMPORAL_NAMESPACE to an existing one`,
        };
      }
      if (isDenied(err)) return { status: 'FAIL', detail: `this identity may not read namespace ${namespace}: ${errorText(err)}`, fix: IDENTITY_FIX };
      throw err;
    }
  },
};

export const searchAttributesCheck: DoctorCheck<DoctorState> = {
  id: 'search-attributes',
  check: 'search attributes',
  needs: ['namespace'],
  fix: 'list them with: temporal operator search-attribute list --namespace <namespace>',
  async run(state, signal): Promise<CheckOutcome> {
    const connection = need(state.connection, 'the Temporal connection');
    const namespace = need(state.target, 'the Temporal target').namespace;
    let s;
    try {
      s = await connection.withAbortSignal(signal, () => searchAttributeStatus(connection, namespace));
    } catch (err) {
      if (!isDenied(err)) throw err;
      // The worker copes with this too (it adds them blind): not a failure, but nothing is known.
      return {
        status: 'warn',
        detail: `this identity may not list the search attributes of ${namespace}`,
        fix: `check with an administrator identity: temporal operator search-attribute list --namespace ${namespace}`,
      };
    }
    if (s.missing.length === 0 && s.wrongType.length === 0) return { status: 'ok', detail: `${s.present.join(', ')} (Keyword)` };
    const problems = [
      ...(s.missing.length > 0 ? [`missing: ${s.missing.join(', ')}`] : []),
      ...(s.wrongType.length > 0 ? [`wrong type: ${s.wrongType.map((w) => `${w.name} is ${w.type}`).join(', ')} (Safeguard needs Keyword)`] : []),
    ];
    const fixes = [
      ...(s.missing.length > 0 ? [`add them: ${addSearchAttributesHint(namespace, s.missing)}; a worker whose identity may adds them at start-up`] : []),
      ...(s.wrongType.length > 0
        ? [`remove ${s.wrongType.map((w) => w.name).join(', ')} (temporal operator search-attribute remove --namespace ${namespace} --name …) and add them as Keyword, or use another namespace`]
        : []),
    ];
    return { status: 'FAIL', detail: problems.join('\n'), fix: fixes.join('\n') };
  },
};

/** The Client for reads that decode payloads (Schedule memos and actions): it needs the codec key ring. */
function clientOf(state: DoctorState): Client {
  state.client ??= new Client({
    connection: need(state.connection, 'the Temporal connection'),
    namespace: need(state.target, 'the Temporal target').namespace,
    dataConverter: dataConverterWithCodec(need(state.keyring, 'the codec key ring')),
  });
  return state.client;
}

const isCodecError = (err: unknown): boolean => /^CODEC_/.test(String((err as { code?: unknown }).code ?? ''));
const CODEC_MISMATCH_FIX = "give doctor the worker's codec keys (the same SAFEGUARD_CODEC_KEY_FILE or SAFEGUARD_CODEC_KEYS)";

function changeText(changes: readonly ScheduleChange[]): string {
  const verbs: Record<Exclude<ScheduleChange['change'], 'unchanged'>, string> = { created: 'to create', updated: 'to update', deleted: 'to delete' };
  return (Object.keys(verbs) as Array<keyof typeof verbs>)
    .map((c) => [c, changes.filter((x) => x.change === c).map((x) => x.scheduleId)] as const)
    .filter(([, ids]) => ids.length > 0)
    .map(([c, ids]) => `${verbs[c]}: ${ids.join(', ')}`)
    .join('\n');
}

export const schedulesCheck: DoctorCheck<DoctorState> = {
  id: 'schedules',
  check: 'policy schedules in sync',
  needs: ['policy', 'codec-key', 'namespace'],
  fix: 'run `safeguard schedules sync` with this configuration',
  async run(state, signal): Promise<CheckOutcome> {
    const env = need(state.parsed, 'the environment');
    const client = clientOf(state);
    const connection = need(state.connection, 'the Temporal connection');
    let plan: ScheduleChange[];
    try {
      plan = await connection.withAbortSignal(signal, () => new ScheduleClient(client, env.SAFEGUARD_TASK_QUEUE).plan(need(state.policy, 'the policy')));
    } catch (err) {
      if (isCodecError(err)) return { status: 'FAIL', detail: `cannot read the Schedules: ${errorText(err)}`, fix: CODEC_MISMATCH_FIX };
      throw err;
    }
    const pending = plan.filter((c) => c.change !== 'unchanged');
    if (pending.length === 0) return { status: 'ok', detail: plan.length === 0 ? 'the policy schedules nothing' : `${plan.length} Schedule(s) match the policy (task queue ${env.SAFEGUARD_TASK_QUEUE})` };
    const worker = env.SAFEGUARD_SCHEDULE_SYNC === 'off' ? 'SAFEGUARD_SCHEDULE_SYNC=off here, so workers with this configuration leave them alone' : 'or restart a worker with this policy (it syncs at start-up)';
    return {
      status: 'FAIL',
      detail: `${pending.length} of ${plan.length} Schedule(s) differ from the policy (task queue ${env.SAFEGUARD_TASK_QUEUE})\n${changeText(pending)}`,
      fix: `run \`safeguard schedules sync\` with this configuration, ${worker}`,
    };
  },
};

export const reconcilerCheck: DoctorCheck<DoctorState> = {
  id: 'reconciler',
  check: 'reconciler Schedule',
  needs: ['codec-key', 'namespace'],
  fix: 'describe it with: temporal schedule describe --schedule-id <id>',
  async run(state, signal): Promise<CheckOutcome> {
    const env = need(state.parsed, 'the environment');
    const namespace = need(state.target, 'the Temporal target').namespace;
    const id = reconcilerScheduleId(env.SAFEGUARD_TASK_QUEUE);
    const connection = need(state.connection, 'the Temporal connection');
    try {
      const d = await connection.withAbortSignal(signal, () => clientOf(state).schedule.getHandle(id).describe());
      if (d.state.paused) {
        return {
          status: 'FAIL',
          detail: `${id} is paused${d.state.note ? ` ("${d.state.note}")` : ''}: grants of break-glass runs that were terminated are not revoked`,
          fix: `temporal schedule toggle --namespace ${namespace} --schedule-id ${id} --unpause --reason "safeguard doctor"`,
        };
      }
      const every = d.spec.intervals?.[0]?.every;
      return { status: 'ok', detail: `${id}, not paused${typeof every === 'number' ? `, every ${Math.round(every / 1000)}s` : ''}` };
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) {
        const owner =
          env.SAFEGUARD_RECONCILE_INTERVAL === 'off'
            ? 'this configuration has SAFEGUARD_RECONCILE_INTERVAL=off: start one worker on this task queue without it'
            : `start a worker on task queue ${env.SAFEGUARD_TASK_QUEUE} (SAFEGUARD_RECONCILE_INTERVAL, default 1m)`;
        return { status: 'FAIL', detail: `no Schedule ${id}: grants of break-glass runs that were terminated are not revoked`, fix: `${owner}; the worker creates the Schedule at start-up` };
      }
      if (isCodecError(err)) return { status: 'FAIL', detail: `cannot read ${id}: ${errorText(err)}`, fix: CODEC_MISMATCH_FIX };
      throw err;
    }
  },
};
