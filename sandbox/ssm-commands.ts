// SSM Run Command as AWS does it, for what moto 5.2.5 gets wrong (see the sandbox notes, §2): moto
// runs nothing, reports Success with empty output at once, accepts unknown documents and instances,
// and targets every EC2 instance in the region. Here a command goes only to the instances asked for,
// which must be managed nodes (the same list StartSession accepts); its document must exist and its
// parameters must fit the document; it stays InProgress for a while, then each invocation ends
// Success or Failed with the output of a runner that really looks at the sandbox (validate-restore.ts
// for Safeguard-ValidateRestore). A document without a runner succeeds with no output, as in moto.
// Shapes follow the SSM JSON API: RequestedDateTime in epoch seconds, invocation times as ISO strings.

import { randomUUID } from 'node:crypto';
import { SsmApiError } from './ssm-sessions';

/** What one invocation printed and returned. */
export interface RunOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a document on one instance with the command's parameters (defaults filled in). */
export type DocumentRunner = (params: Record<string, string[]>, instanceId: string) => RunOutput;

/** A document's parameters: name → its default (undefined: required). */
export type DocumentParameters = Map<string, string | undefined>;

export interface SsmCommandsOptions {
  /** Whether an instance id is a managed node (SsmSessions.isManaged). */
  isManaged(instanceId: string): boolean;
  /** How long a command stays InProgress. Default 1000 ms. */
  runMs?: number;
  /** Runners by document name. */
  runners?: Record<string, DocumentRunner>;
  accountId?: string;
  now?: () => number;
}

export const DEFAULT_COMMAND_RUN_MS = 1_000;
/** AWS keeps the first 24,000 characters of each stream in the API answer. */
const MAX_OUTPUT = 24_000;
const INSTANCE_ID = /^(i|mi)-[0-9a-f]{8,17}$/;

/** Documents AWS owns that the sandbox knows without moto (moto has none of AWS's own documents). */
export const AWS_DOCUMENTS: Record<string, DocumentParameters> = {
  'AWS-RunShellScript': new Map([
    ['commands', undefined],
    ['workingDirectory', ''],
    ['executionTimeout', '3600'],
  ]),
};

interface Invocation {
  instanceId: string;
  output?: RunOutput;
}

interface Command {
  commandId: string;
  documentName: string;
  parameters: Record<string, string[]>;
  instanceIds: string[];
  comment: string;
  timeoutSeconds: number;
  requestedAt: number;
  doneAt: number;
  invocations: Map<string, Invocation>;
  owner: string;
}

type InvocationStatus = 'InProgress' | 'Success' | 'Failed';

export class SsmCommands {
  private readonly commands = new Map<string, Command>();
  private readonly runMs: number;
  private readonly runners: Record<string, DocumentRunner>;
  private readonly now: () => number;

  constructor(private readonly opts: SsmCommandsOptions) {
    this.runMs = opts.runMs ?? DEFAULT_COMMAND_RUN_MS;
    if (!Number.isFinite(this.runMs) || this.runMs < 0) throw new RangeError(`the command run time must be ≥ 0 ms, got ${this.runMs}`);
    this.runners = opts.runners ?? {};
    this.now = opts.now ?? Date.now;
  }

  /** SendCommand, once the document's parameters are known (undefined: no such document). */
  send(owner: string, params: Record<string, unknown>, document: DocumentParameters | undefined): { Command: Record<string, unknown> } {
    const documentName = typeof params['DocumentName'] === 'string' ? params['DocumentName'] : undefined;
    if (!documentName) throw new SsmApiError('ValidationException', "1 validation error detected: Value null at 'documentName' failed to satisfy constraint: Member must not be null");
    const targets = params['Targets'];
    if (Array.isArray(targets) && targets.length > 0) throw new SsmApiError('InvalidParameters', 'The sandbox runs commands on InstanceIds only, not on Targets.');
    const raw = params['InstanceIds'];
    const instanceIds = Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
    if (instanceIds.length === 0) throw new SsmApiError('ValidationException', 'InstanceIds or Targets must be specified.');
    const unknown = instanceIds.filter((id) => !INSTANCE_ID.test(id) || !this.opts.isManaged(id));
    if (unknown.length > 0) {
      throw new SsmApiError('InvalidInstanceId', `Instances [${unknown.map((i) => `[${i}]`).join(', ')}] not in a valid state for account ${this.opts.accountId ?? '123456789012'}`);
    }
    if (!document) throw new SsmApiError('InvalidDocument', `Document with name ${documentName} does not exist.`);
    const parameters = fillParameters(params['Parameters'], document);
    const t = this.now();
    const cmd: Command = {
      commandId: randomUUID(),
      documentName,
      parameters,
      instanceIds: [...new Set(instanceIds)],
      comment: typeof params['Comment'] === 'string' ? params['Comment'] : '',
      timeoutSeconds: typeof params['TimeoutSeconds'] === 'number' ? params['TimeoutSeconds'] : 3600,
      requestedAt: t,
      doneAt: t + this.runMs,
      invocations: new Map(),
      owner,
    };
    for (const id of cmd.instanceIds) cmd.invocations.set(id, { instanceId: id });
    this.commands.set(cmd.commandId, cmd);
    return { Command: this.commandToWire(cmd) };
  }

  getInvocation(params: Record<string, unknown>): Record<string, unknown> {
    const cmd = this.command(params['CommandId']);
    const instanceId = typeof params['InstanceId'] === 'string' ? params['InstanceId'] : '';
    const inv = cmd.invocations.get(instanceId);
    if (!inv) throw new SsmApiError('InvocationDoesNotExist', '');
    const status = this.settle(cmd, inv);
    const out = inv.output;
    const started = new Date(cmd.requestedAt).toISOString();
    return {
      CommandId: cmd.commandId,
      InstanceId: inv.instanceId,
      Comment: cmd.comment,
      DocumentName: cmd.documentName,
      DocumentVersion: '$DEFAULT',
      PluginName: pluginOf(cmd.documentName),
      ResponseCode: out ? out.code : -1,
      ExecutionStartDateTime: started,
      ExecutionElapsedTime: elapsed((out ? cmd.doneAt : this.now()) - cmd.requestedAt),
      ExecutionEndDateTime: out ? new Date(cmd.doneAt).toISOString() : '',
      Status: status,
      StatusDetails: status,
      StandardOutputContent: (out?.stdout ?? '').slice(0, MAX_OUTPUT),
      StandardOutputUrl: '',
      StandardErrorContent: (out?.stderr ?? '').slice(0, MAX_OUTPUT),
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
  }

  listInvocations(params: Record<string, unknown>): { CommandInvocations: Record<string, unknown>[] } {
    const commandId = typeof params['CommandId'] === 'string' ? params['CommandId'] : undefined;
    const instanceId = typeof params['InstanceId'] === 'string' ? params['InstanceId'] : undefined;
    const details = params['Details'] === true;
    const cmds = commandId !== undefined ? [this.command(commandId)] : [...this.commands.values()];
    const out: Record<string, unknown>[] = [];
    for (const cmd of cmds.sort((a, b) => b.requestedAt - a.requestedAt)) {
      for (const inv of cmd.invocations.values()) {
        if (instanceId !== undefined && inv.instanceId !== instanceId) continue;
        const status = this.settle(cmd, inv);
        const entry: Record<string, unknown> = {
          CommandId: cmd.commandId,
          InstanceId: inv.instanceId,
          InstanceName: '',
          Comment: cmd.comment,
          DocumentName: cmd.documentName,
          DocumentVersion: '$DEFAULT',
          RequestedDateTime: cmd.requestedAt / 1000,
          Status: status,
          StatusDetails: status,
          StandardOutputUrl: '',
          StandardErrorUrl: '',
          CommandPlugins: [],
        };
        if (details) {
          entry['CommandPlugins'] = [
            {
              Name: pluginOf(cmd.documentName),
              Status: status,
              StatusDetails: status,
              ResponseCode: inv.output ? inv.output.code : -1,
              ResponseStartDateTime: cmd.requestedAt / 1000,
              ...(inv.output ? { ResponseFinishDateTime: cmd.doneAt / 1000 } : {}),
              Output: inv.output ? `${inv.output.stdout}${inv.output.stderr ? `\n----------ERROR-------\n${inv.output.stderr}` : ''}`.slice(0, 2_500) : '',
              StandardOutputUrl: '',
              StandardErrorUrl: '',
            },
          ];
        }
        out.push(entry);
      }
    }
    return { CommandInvocations: out };
  }

  listCommands(params: Record<string, unknown>): { Commands: Record<string, unknown>[] } {
    const commandId = typeof params['CommandId'] === 'string' ? params['CommandId'] : undefined;
    const instanceId = typeof params['InstanceId'] === 'string' ? params['InstanceId'] : undefined;
    const cmds = commandId !== undefined ? [this.command(commandId)] : [...this.commands.values()];
    return {
      Commands: cmds
        .filter((c) => instanceId === undefined || c.invocations.has(instanceId))
        .sort((a, b) => b.requestedAt - a.requestedAt)
        .map((c) => {
          for (const inv of c.invocations.values()) this.settle(c, inv);
          return this.commandToWire(c);
        }),
    };
  }

  private command(rawId: unknown): Command {
    const cmd = typeof rawId === 'string' ? this.commands.get(rawId) : undefined;
    if (!cmd) throw new SsmApiError('InvalidCommandId', '');
    return cmd;
  }

  /**
   * The invocation's status now. Its runner runs once, the first time the invocation is looked at
   * after the command's run time: what it reports is the sandbox as it was then.
   */
  private settle(cmd: Command, inv: Invocation): InvocationStatus {
    if (!inv.output) {
      if (this.now() < cmd.doneAt) return 'InProgress';
      const runner = this.runners[cmd.documentName];
      try {
        inv.output = runner ? runner(cmd.parameters, inv.instanceId) : { stdout: '', stderr: '', code: 0 };
      } catch (err) {
        inv.output = { stdout: '', stderr: `${(err as Error).message}\n`, code: 1 };
      }
    }
    return inv.output.code === 0 ? 'Success' : 'Failed';
  }

  private commandToWire(cmd: Command): Record<string, unknown> {
    const statuses = [...cmd.invocations.values()].map((inv) => (inv.output ? (inv.output.code === 0 ? 'Success' : 'Failed') : 'InProgress'));
    const done = statuses.filter((s) => s !== 'InProgress').length;
    const errors = statuses.filter((s) => s === 'Failed').length;
    const status = done < statuses.length ? 'InProgress' : errors > 0 ? 'Failed' : 'Success';
    return {
      CommandId: cmd.commandId,
      DocumentName: cmd.documentName,
      DocumentVersion: '$DEFAULT',
      Comment: cmd.comment,
      ExpiresAfter: (cmd.requestedAt + cmd.timeoutSeconds * 1000) / 1000,
      Parameters: cmd.parameters,
      InstanceIds: cmd.instanceIds,
      Targets: [],
      RequestedDateTime: cmd.requestedAt / 1000,
      Status: status,
      StatusDetails: status,
      OutputS3Region: '',
      OutputS3BucketName: '',
      OutputS3KeyPrefix: '',
      MaxConcurrency: '50',
      MaxErrors: '0',
      TargetCount: cmd.instanceIds.length,
      CompletedCount: done,
      ErrorCount: errors,
      DeliveryTimedOutCount: 0,
      ServiceRole: '',
      NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' },
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
      TimeoutSeconds: cmd.timeoutSeconds,
    };
  }
}

/** The command's parameters with the document's defaults; refuses unknown and missing ones as AWS does (InvalidParameters). */
function fillParameters(raw: unknown, document: DocumentParameters): Record<string, string[]> {
  const given: Record<string, string[]> = {};
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new SsmApiError('InvalidParameters', 'Parameters must be a map of parameter names to lists of values.');
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (!document.has(k)) throw new SsmApiError('InvalidParameters', `Parameter "${k}" is not defined in the document.`);
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new SsmApiError('InvalidParameters', `Parameter "${k}" must be a list of strings.`);
      given[k] = v as string[];
    }
  }
  for (const [name, def] of document) {
    if (given[name] !== undefined) continue;
    if (def === undefined) throw new SsmApiError('InvalidParameters', `Parameter "${name}" is required but was not given.`);
    given[name] = [def];
  }
  return given;
}

/** The plugin AWS reports: both documents the sandbox runs are one aws:runShellScript step. */
function pluginOf(_documentName: string): string {
  return 'aws:runShellScript';
}

/** ISO 8601 duration of the kind SSM reports (`PT1.234S`). */
function elapsed(ms: number): string {
  return `PT${(Math.max(0, ms) / 1000).toFixed(3)}S`;
}
