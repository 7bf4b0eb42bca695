// `safeguard doctor`: every check, in the order a deployment depends on them (configuration, then
// Temporal, then what lives in Temporal, then AWS, then the services around the worker).
import { apiCheck, slackCheck } from './service-checks';
import { awsBrokerCheck, executionRolesCheck } from './aws-checks';
import { codecKeyCheck, environmentCheck, policyCheck, temporalTlsCheck } from './config-checks';
import { evidenceCheck } from './evidence-checks';
import type { DoctorEnvironment } from './environment';
import { redactReport, secretValues } from './report';
import type { DoctorReport } from './report';
import { runChecks } from './runner';
import type { DoctorCheck } from './runner';
import type { DoctorState } from './state';
import { namespaceCheck, reconcilerCheck, schedulesCheck, searchAttributesCheck, temporalCheck } from './temporal-checks';

export const DOCTOR_CHECKS: readonly DoctorCheck<DoctorState>[] = [
  environmentCheck,
  policyCheck,
  codecKeyCheck,
  evidenceCheck,
  temporalTlsCheck,
  temporalCheck,
  namespaceCheck,
  searchAttributesCheck,
  schedulesCheck,
  reconcilerCheck,
  awsBrokerCheck,
  executionRolesCheck,
  slackCheck,
  apiCheck,
];

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

export interface DoctorOptions {
  /** Per check. */
  timeoutMs?: number;
}

export async function runDoctor(target: DoctorEnvironment, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const state: DoctorState = { env: target.env, stack: target.stack, timeoutMs, cleanups: [] };
  try {
    const rows = await runChecks(DOCTOR_CHECKS, state, { timeoutMs });
    return redactReport({ source: target.source, checks: rows }, secretValues(target.env));
  } finally {
    // Closing must not hang doctor either: a connection stuck mid-handshake is abandoned.
    await Promise.race([Promise.allSettled(state.cleanups.map(async (c) => c())), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
