// `safeguard compliance`: where the report's inputs come from. The policy, region, endpoint and
// broker credentials from the running embedded stack (dev, tests) or the environment (production),
// like the other commands (cli/context.ts), but without Temporal: the report reads evidence and AWS only.
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from '../config/env';
import { loadPolicyFile } from '../config/policy';
import type { Policy } from '../config/policy/types';
import type { StackInfo } from '../config/stack-file';
import { findRunningStack } from '../cli/context';
import { openEvidenceForAudit } from '../evidence/audit-access';
import { AccountReads } from './aws-checks';
import type { AccountScope } from './aws-checks';
import { assumeExecutionRole, clientsWith, destroyClients } from './aws-clients';
import type { ComplianceAwsClients, ComplianceAwsConfig } from './aws-clients';
import { notCheckedReason } from './aws-checks';
import type { Period } from './evidence-rows';
import { ComplianceArgumentError } from './options';
import { buildReport } from './report';
import type { ComplianceReport } from './report';
import { parseSeedTable } from './seed-table';

export const SEED_FILE = path.resolve(__dirname, 'hipaa-technical-safeguards.txt');

export interface GenerateOptions {
  period: Period;
  /** Only these policy accounts (default: all). */
  accounts?: string[];
  /** Evidence directory (default: the stack's, else SAFEGUARD_EVIDENCE_DIR, else <SAFEGUARD_DATA_DIR>/evidence). */
  dir?: string;
  /** The evidence key file, to verify the chain (default: the environment's, or a running dev stack's). */
  keyFile?: string;
  /** Do not query AWS: every AWS row says so. */
  skipAws?: boolean;
  /** The customer's table (default: the vendored copy). */
  seedFile?: string;
  now?: Date;
}

interface Setting {
  policy: Policy;
  evidenceDir: string;
  aws: ComplianceAwsConfig;
}

function settings(o: GenerateOptions): Setting {
  const stack: StackInfo | undefined = process.env.TEMPORAL_ADDRESS ? undefined : findRunningStack();
  if (stack) {
    let broker: { accessKeyId: string; secretAccessKey: string } | undefined;
    try {
      broker = (JSON.parse(fs.readFileSync(stack.sandboxFile, 'utf8')) as { broker?: { accessKeyId: string; secretAccessKey: string } }).broker;
    } catch {
      // No sandbox file: the default chain; AssumeRole then fails and says so in every AWS row.
    }
    return {
      policy: loadPolicyFile(stack.policyFile),
      evidenceDir: o.dir ?? stack.evidenceDir,
      aws: { region: stack.region, endpoint: stack.awsEndpoint, ...(broker ? { brokerCredentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } } : {}) },
    };
  }
  const env = parseEnv();
  return {
    policy: loadPolicyFile(path.resolve(env.SAFEGUARD_POLICY)),
    evidenceDir: o.dir ?? env.SAFEGUARD_EVIDENCE_DIR ?? path.join(env.SAFEGUARD_DATA_DIR, 'evidence'),
    aws: { region: env.AWS_REGION, ...(env.SAFEGUARD_AWS_ENDPOINT ? { endpoint: env.SAFEGUARD_AWS_ENDPOINT } : {}) },
  };
}

/** The policy's accounts to check, with their break-glass and fire-drill roles. */
export function accountScopes(policy: Policy, region: string, only: string[] | undefined): AccountScope[] {
  if (only) {
    const unknown = only.filter((id) => !policy.accounts.some((a) => a.id === id));
    if (unknown.length > 0) throw new ComplianceArgumentError(`--account ${unknown.join(', ')}: not an account of the policy (its accounts: ${policy.accounts.map((a) => a.id).join(', ')})`);
  }
  const drillRoles = (policy.drills?.fire ?? []).map((d) => d.drillRoleArn);
  return policy.accounts
    .filter((a) => !only || only.includes(a.id))
    .map((a) => ({
      accountId: a.id,
      name: a.name,
      region,
      breakGlassRoleArns: [...new Set([...policy.breakGlass.roles.map((r) => r.roleArn), ...drillRoles].filter((arn) => arn.split(':')[4] === a.id))],
    }));
}

export async function generateCompliance(o: GenerateOptions): Promise<ComplianceReport> {
  const seedFile = o.seedFile ?? SEED_FILE;
  const seed = parseSeedTable(fs.readFileSync(seedFile, 'utf8'));
  const s = settings(o);
  const scopes = accountScopes(s.policy, s.aws.region, o.accounts);
  const { store, notes } = await openEvidenceForAudit({ dir: s.evidenceDir, ...(o.keyFile ? { keyFile: o.keyFile } : {}) });
  const [entries, chain] = await Promise.all([store.list({ since: o.period.since, until: o.period.until }), store.verify()]);
  const opened: ComplianceAwsClients[] = [];
  try {
    return await buildReport({
      seed,
      source: path.relative(process.cwd(), seedFile) || seedFile,
      period: o.period,
      now: o.now ?? new Date(),
      evidenceDir: s.evidenceDir,
      entries,
      chain,
      evidenceNotes: notes,
      rootRecovery: s.policy.runbooks.rootLoginWatch ? { runbooks: s.policy.runbooks.rootLoginWatch.expectedDuring, accounts: s.policy.runbooks.rootLoginWatch.accounts } : null,
      ...(o.skipAws
        ? { awsSkipped: 'AWS was not queried (--skip-aws)' }
        : {
            aws: {
              accounts: scopes,
              open: async (scope) => {
                const account = s.policy.accounts.find((a) => a.id === scope.accountId);
                if (!account) return { unreachable: `account ${scope.accountId} is not in the policy` };
                try {
                  const creds = await assumeExecutionRole(s.aws, account);
                  const c = clientsWith(s.aws, creds);
                  opened.push(c);
                  return new AccountReads(c, scope);
                } catch (err) {
                  return { unreachable: `${notCheckedReason(`sts:AssumeRole on ${account.executionRoleArn}`, err)}: every AWS row of this account is not checked` };
                }
              },
            },
          }),
    });
  } finally {
    for (const c of opened) destroyClients(c);
  }
}
