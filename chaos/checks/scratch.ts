// Check (c): once every restore drill has closed, no scratch resource is left: no RDS instance and
// no DynamoDB table named `sg-drill-*` (the prefix nothing but a drill's scratch may carry,
// workflows/restore-drill/targets.ts) in any account a drill restores into. A drill's teardown
// waits until its scratch is gone, so anything listed is left behind (or belongs to a drill still
// running, which is said, not counted).
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import type { DBInstance } from '@aws-sdk/client-rds';
import { ListTablesCommand, DescribeTableCommand, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import { RESTORE_DRILL_WORKFLOW } from '../../client/drill-client';
import { restoreDrillTargetFor } from '../../client/drill-targets';
import { scratchNameFor } from '../../workflows/restore-drill/scratch-name';
import { DRILL_RUN_TAG, SCRATCH_PREFIX } from '../../workflows/restore-drill/targets';
import type { AccountRef } from '../../workflows/restore-drill/targets';
import type { CheckResult } from '../ledger';
import type { AccountReaders } from './aws';
import { errorText } from './bounded';
import { targetOfRun } from './duplicates';
import type { CheckFacts } from './facts';

export interface ScratchResource {
  accountId: string;
  kind: 'RDS instance' | 'DynamoDB table';
  name: string;
  status: string;
  /** The drill run tagged on it (safeguard:drill-run), when it carries one. */
  runTag?: string;
}

async function rdsScratch(accountId: string, readers: AccountReaders): Promise<ScratchResource[]> {
  const out: ScratchResource[] = [];
  let marker: string | undefined;
  do {
    const page = await readers.rds.send(new DescribeDBInstancesCommand({ ...(marker ? { Marker: marker } : {}) }));
    for (const i of page.DBInstances ?? []) {
      if (!i.DBInstanceIdentifier?.startsWith(SCRATCH_PREFIX)) continue;
      const runTag = tag(i, DRILL_RUN_TAG);
      out.push({ accountId, kind: 'RDS instance', name: i.DBInstanceIdentifier, status: i.DBInstanceStatus ?? 'unknown', ...(runTag ? { runTag } : {}) });
    }
    marker = page.Marker;
  } while (marker);
  return out;
}

function tag(i: DBInstance, key: string): string | undefined {
  return i.TagList?.find((t) => t.Key === key)?.Value;
}

async function dynamoScratch(accountId: string, readers: AccountReaders): Promise<ScratchResource[]> {
  const out: ScratchResource[] = [];
  let start: string | undefined;
  do {
    const page = await readers.dynamodb.send(new ListTablesCommand({ ...(start ? { ExclusiveStartTableName: start } : {}) }));
    for (const name of page.TableNames ?? []) {
      if (!name.startsWith(SCRATCH_PREFIX)) continue;
      const table = (await readers.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table;
      const tags = table?.TableArn ? ((await readers.dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: table.TableArn }))).Tags ?? []) : [];
      const runTag = tags.find((t) => t.Key === DRILL_RUN_TAG)?.Value;
      out.push({ accountId, kind: 'DynamoDB table', name, status: table?.TableStatus ?? 'unknown', ...(runTag ? { runTag } : {}) });
    }
    start = page.LastEvaluatedTableName;
  } while (start);
  return out;
}

/** The accounts restore drills restore into, once each. */
function drillAccounts(f: CheckFacts): AccountRef[] {
  const byId = new Map<string, AccountRef>();
  for (const d of f.policy.drills.restore) if (!byId.has(d.account)) byId.set(d.account, restoreDrillTargetFor(f.policy, d.name));
  return [...byId.values()];
}

export async function checkNoScratchLeft(f: CheckFacts): Promise<CheckResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const names = f.policy.drills.restore.map((d) => d.name);
  const running = new Map<string, string>();
  for (const run of f.executions.filter((e) => e.type === RESTORE_DRILL_WORKFLOW && e.status === 'RUNNING')) {
    const drill = targetOfRun(run, 'drill-restore-', names);
    if (drill !== undefined) running.set(scratchNameFor(drill, run.workflowId), run.workflowId);
  }
  let checked = 0;
  for (const account of drillAccounts(f)) {
    try {
      const readers = await f.aws.account(account);
      const found = [...(await rdsScratch(account.accountId, readers)), ...(await dynamoScratch(account.accountId, readers))];
      checked++;
      for (const r of found) {
        const line = `${r.kind} ${r.name} in ${r.accountId} (${r.status}${r.runTag ? `, drill run ${r.runTag}` : ', no drill-run tag'})`;
        const owner = running.get(r.name);
        if (owner !== undefined) notes.push(`${line}: its drill ${owner} is still running`);
        else problems.push(`${line} left behind`);
      }
    } catch (err) {
      problems.push(`account ${account.accountId}: could not list scratch resources: ${errorText(err)}`);
    }
  }
  if (running.size > 0) notes.push(`${running.size} restore drill(s) still running after the checks' wait: ${[...running.values()].join(', ')}`);
  return { name: 'no scratch left', ok: problems.length === 0, checked, problems, notes };
}
