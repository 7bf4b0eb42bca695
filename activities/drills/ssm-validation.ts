// Validates a restored RDS database with an SSM Run Command document on the drill's validation
// instance (the database is inside a VPC; Safeguard never connects to it itself). The command's
// standard output ends with one JSON line `{"rows": <n>, "newest": "<ISO time>"}`; a non-zero exit,
// a missing line or fewer than `minRows` rows fails the validation. A failed validation is a
// result, not an activity failure: the drill records it and still tears down. What the command
// printed goes into the evidence, bounded to 4 KiB.
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { ApplicationFailure } from '@temporalio/activity';
import { accountClients } from '../aws/clients';
import type { AwsClients } from '../aws/clients';
import { awsErrorName, toActivityFailure } from '../aws/errors';
import { pause } from '../heartbeat';
import type { ValidateRestoreInput, ValidationResult } from './types';

export const MAX_VALIDATION_OUTPUT_BYTES = 4 * 1024;
/** SendCommand refusals a retry cannot change: the drill's validation is misconfigured. */
const REFUSED = new Set(['InvalidInstanceId', 'InvalidDocument', 'InvalidDocumentVersion', 'InvalidParameters', 'UnsupportedPlatformType', 'InvalidRole']);
const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut', 'DeliveryTimedOut', 'ExecutionTimedOut', 'Undeliverable', 'Terminated', 'InvalidPlatform', 'AccessDenied']);

export interface SsmValidationOptions {
  /** Between GetCommandInvocation polls (each one heartbeats). Default 1000 ms. */
  pollMs?: number;
}

export async function validateWithSsmCommand(aws: AwsClients, input: ValidateRestoreInput, opts: SsmValidationOptions = {}): Promise<ValidationResult> {
  const { drill, restored } = input;
  const v = drill.validation;
  if (v.type !== 'ssm-command') throw ApplicationFailure.nonRetryable(`drill ${drill.name}: validation ${v.type} is not an SSM command`, 'UnsupportedValidation');
  const { ssm } = await accountClients(aws, drill);
  const pollMs = opts.pollMs ?? 1_000;
  const parameters = substitute(v.parameters, { 'scratch.id': restored.scratch.name, 'scratch.endpoint': restored.endpoint ?? '' });
  const started = Date.now();

  let commandId: string;
  try {
    const sent = await ssm.send(
      new SendCommandCommand({
        InstanceIds: [v.instanceId],
        DocumentName: v.document,
        Parameters: parameters,
        Comment: `Safeguard restore drill ${drill.name}: ${restored.scratch.name}`.slice(0, 100),
        TimeoutSeconds: Math.max(30, Math.ceil(v.timeoutMs / 1000)),
      }),
    );
    const id = sent.Command?.CommandId;
    if (!id) throw new Error('SendCommand returned no command id');
    commandId = id;
  } catch (err) {
    const name = awsErrorName(err);
    if (name !== undefined && REFUSED.has(name)) {
      const summary = `SendCommand of ${v.document} to ${v.instanceId} refused: ${name}: ${err instanceof Error ? err.message : String(err)}`;
      return { passed: false, output: bound(summary), summary, validation: 'ssm-command' };
    }
    throw toActivityFailure('SendCommand', err);
  }

  let invocation: GetCommandInvocationCommandOutput | undefined;
  for (;;) {
    try {
      invocation = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: v.instanceId }));
    } catch (err) {
      // SSM needs a moment before a new command's invocation can be read.
      if (awsErrorName(err) !== 'InvocationDoesNotExist') throw toActivityFailure('GetCommandInvocation', err);
      invocation = undefined;
    }
    if (invocation?.Status !== undefined && TERMINAL.has(invocation.Status)) break;
    if (Date.now() - started >= v.timeoutMs) {
      const summary = `the validation command ${commandId} did not finish within ${v.timeoutMs} ms (status ${invocation?.Status ?? 'not yet delivered'})`;
      return { passed: false, output: bound(invocation?.StandardOutputContent ?? ''), summary, commandId, validation: 'ssm-command' };
    }
    await pause(pollMs);
  }

  const stdout = invocation.StandardOutputContent ?? '';
  const stderr = invocation.StandardErrorContent ?? '';
  const output = bound(stderr ? `${stdout}${stdout.endsWith('\n') || stdout === '' ? '' : '\n'}--- stderr ---\n${stderr}` : stdout);
  const code = invocation.ResponseCode ?? -1;
  const base = { output, commandId, validation: 'ssm-command' as const };
  if (invocation.Status !== 'Success' || code !== 0) {
    const why = firstLine(stderr) ?? firstLine(invocation.StatusDetails ?? '') ?? 'no error output';
    return { ...base, passed: false, summary: `the validation command ${invocation.Status === 'Success' ? 'exited' : 'ended'} ${invocation.Status ?? 'unknown'} with code ${code}: ${why}` };
  }
  const parsed = lastJsonLine(stdout);
  if (!parsed) return { ...base, passed: false, summary: 'the validation output does not end with a {"rows": <n>, "newest": "<ISO time>"} line' };
  const counts = { rows: parsed.rows, ...(parsed.newest !== undefined ? { newestRecordAt: parsed.newest } : {}) };
  if (parsed.rows < v.minRows) return { ...base, ...counts, passed: false, summary: `found ${parsed.rows} rows, fewer than the ${v.minRows} required` };
  return { ...base, ...counts, passed: true, summary: `found ${parsed.rows} rows, the newest at ${parsed.newest ?? 'none'}` };
}

/** `{{scratch.id}}` and `{{scratch.endpoint}}` in every parameter value. */
export function substitute(parameters: Record<string, string[]>, values: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, vs] of Object.entries(parameters)) {
    out[k] = vs.map((s) => s.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole));
  }
  return out;
}

/** The last non-empty line as `{"rows": n, "newest": ISO|null}`; undefined if it is not that. */
export function lastJsonLine(stdout: string): { rows: number; newest?: string } | undefined {
  const line = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .pop();
  if (!line) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const { rows, newest } = parsed as { rows?: unknown; newest?: unknown };
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0) return undefined;
  if (newest === null || newest === undefined) return { rows };
  if (typeof newest !== 'string' || Number.isNaN(Date.parse(newest))) return undefined;
  return { rows, newest: new Date(newest).toISOString() };
}

/** At most 4 KiB, keeping the end (where the result line is) and saying what was cut. */
export function bound(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= MAX_VALIDATION_OUTPUT_BYTES) return text;
  const marker = `…[${buf.length - MAX_VALIDATION_OUTPUT_BYTES} bytes cut]…\n`;
  const keep = MAX_VALIDATION_OUTPUT_BYTES - Buffer.byteLength(marker);
  // Cutting mid-character leaves a replacement character at the start; drop it.
  return marker + buf.subarray(buf.length - keep).toString('utf8').replace(/^\uFFFD+/, '');
}

function firstLine(s: string): string | undefined {
  return s.split(/\r?\n/).find((l) => l.trim() !== '')?.trim();
}
