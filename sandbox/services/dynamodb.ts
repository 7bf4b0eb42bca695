// DynamoDB restores as AWS does them, for what moto 5.2.5 gets wrong (see the sandbox notes, §2):
// - RestoreTableToPointInTime requires point-in-time recovery on the source
//   (PointInTimeRecoveryUnavailableException) and a RestoreDateTime inside the restorable window
//   (InvalidRestoreTimeException), and the restored table holds the items as of that time. moto
//   copies the source's current items whatever the time, so the gateway keeps a journal of every
//   item write it sees (PutItem, UpdateItem, DeleteItem, BatchWriteItem through the gateway, and
//   the seeded tables' writer), each with the item's image before the write, and after moto's copy
//   undoes, newest first, every journaled write later than the restore time. A journal rather than
//   the seeded items' `ts` attribute: it also undoes overwrites and deletes, and items written
//   without a timestamp. Writes it cannot see (TransactWriteItems, anything sent to moto directly
//   after registration) are not undone. Seeded items are journaled as written at their `ts`.
// - Restored tables read CREATING for `creatingMs` (data-plane calls on them: ResourceNotFound;
//   DeleteTable: ResourceInUseException), then ACTIVE. A deleted table reads DELETING for
//   `deletingMs` (moto forgets it at once), then ResourceNotFoundException.
// - DescribeContinuousBackups: EarliestRestorableDateTime is when PITR was turned on (a seeded
//   table's is backdated with its data), LatestRestorableDateTime is now (moto freezes both at the
//   time PITR was enabled). Unlike AWS, the latest restorable time does not lag by ~5 minutes.
// - A registered (seeded) table gets a writer that appends one item `{id, ts}` every
//   `writerIntervalMs`, so restored data has a newest item to measure RPO from.

import { randomBytes } from 'node:crypto';
import { awsErrorReply, requestId } from '../faults';
import { KeyedLock } from '../keyed-lock';
import type { MotoKey } from '../moto-directory';
import { errorToReply, jsonReply } from './types';
import type { AwsCall, Handled, Reply, ServiceContext, ServiceHandler } from './types';

const TARGET = 'DynamoDB_20120810';
export const DEFAULT_DYNAMO_CREATING_MS = 2_000;
export const DEFAULT_DYNAMO_DELETING_MS = 1_000;
export const DEFAULT_DYNAMO_WRITER_INTERVAL_MS = 1_000;
/** The seeded tables' key and timestamp attributes. */
export const SEED_KEY_ATTRIBUTE = 'id';
export const SEED_TIMESTAMP_ATTRIBUTE = 'ts';
/** Journal entries kept per table (AWS keeps 35 days; the oldest are dropped beyond this). */
const MAX_JOURNAL = 100_000;

/** Calls that read or write a table's items: refused while the table is CREATING or DELETING. */
const DATA_PLANE = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan']);
const BATCH = new Set(['BatchGetItem', 'BatchWriteItem']);

type Item = Record<string, unknown>;

interface JournalEntry {
  /** Epoch ms of the write. */
  at: number;
  key: Item;
  /** The item before the write; null: there was none. */
  before: Item | null;
}

type Lifecycle =
  | { state: 'CREATING'; until: number; restoreDateTime?: number }
  | { state: 'DELETING'; until: number; description: Record<string, unknown> };

export interface DynamoServiceOptions {
  /** How long a restored table reads CREATING. Default 2000 ms. */
  creatingMs?: number;
  /** How long a deleted table reads DELETING. Default 1000 ms. */
  deletingMs?: number;
  /** How often the writer appends an item to each registered table. Default 1000 ms. */
  writerIntervalMs?: number;
}

export interface RegisterTableOptions {
  /** When PITR counts as enabled since (epoch ms): a seeded table's backdated history. */
  pitrSince?: number;
  /** Whom the writer writes as (a key moto accepts, also when it authenticates). */
  writeAs: MotoKey;
  /** Start the writer (default true). */
  writer?: boolean;
}

export interface DynamoService extends ServiceHandler {
  /** Journals a seeded table's items as written at their `ts`, and starts its writer. */
  registerTable(ctx: ServiceContext, tableName: string, opts: RegisterTableOptions): Promise<void>;
  /** Stops the writers. */
  stop(): void;
}

function refuse(code: string, message: string): Handled {
  return { reply: errorToReply(awsErrorReply('json', 400, code, message)), servedBy: 'gateway' };
}

function parseBody(reply: Reply): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(reply.body.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function withBody(reply: Reply, body: unknown): Reply {
  return { ...reply, body: Buffer.from(JSON.stringify(body)) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** `arn:aws:dynamodb:r:a:table/name[/…]` or a bare name → the table name. */
export function tableNameOf(nameOrArn: string): string {
  const m = /^arn:aws[\w-]*:dynamodb:[^:]*:\d{12}:table\/([^/]+)/.exec(nameOrArn);
  return m?.[1] ?? nameOrArn;
}

export function dynamoDbService(opts: DynamoServiceOptions = {}): DynamoService {
  const creatingMs = opts.creatingMs ?? DEFAULT_DYNAMO_CREATING_MS;
  const deletingMs = opts.deletingMs ?? DEFAULT_DYNAMO_DELETING_MS;
  const writerIntervalMs = opts.writerIntervalMs ?? DEFAULT_DYNAMO_WRITER_INTERVAL_MS;
  for (const [k, v] of Object.entries({ creatingMs, deletingMs, writerIntervalMs })) {
    if (!Number.isFinite(v) || v < 0 || (k === 'writerIntervalMs' && v === 0)) throw new RangeError(`dynamodb ${k} must be a positive number of ms, got ${v}`);
  }
  const lifecycle = new Map<string, Lifecycle>();
  const pitrSince = new Map<string, number>();
  const journal = new Map<string, JournalEntry[]>();
  const keySchemas = new Map<string, string[]>();
  const writers = new Map<string, NodeJS.Timeout>();
  /** Per table: journaled writes and a restore's copy happen one at a time, so none slips between. */
  const tableLock = new KeyedLock();
  /** PITR restores' restore times (moto reports the time of its copy instead). */
  const restoreTimes = new Map<string, number>();
  let stopped = false;

  function stateOf(table: string, now: number): Lifecycle | undefined {
    const l = lifecycle.get(table);
    if (l && now >= l.until) {
      lifecycle.delete(table);
      return undefined;
    }
    return l;
  }

  function record(table: string, entry: JournalEntry): void {
    let list = journal.get(table);
    if (!list) journal.set(table, (list = []));
    list.push(entry);
    if (list.length > MAX_JOURNAL) list.splice(0, list.length - MAX_JOURNAL);
  }

  async function moto(ctx: ServiceContext, as: MotoKey, action: string, params: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    return ctx.motoJson(as, 'dynamodb', `${TARGET}.${action}`, params);
  }

  async function keyAttributes(ctx: ServiceContext, as: MotoKey, table: string): Promise<string[] | undefined> {
    const hit = keySchemas.get(table);
    if (hit) return hit;
    const res = await moto(ctx, as, 'DescribeTable', { TableName: table });
    const schema = obj(res.body['Table'])?.['KeySchema'];
    if (res.status !== 200 || !Array.isArray(schema)) return undefined;
    const names = schema.flatMap((k) => (typeof obj(k)?.['AttributeName'] === 'string' ? [obj(k)?.['AttributeName'] as string] : []));
    keySchemas.set(table, names);
    return names;
  }

  function keyOf(item: Item, attrs: string[]): Item {
    return Object.fromEntries(attrs.map((a) => [a, item[a]]));
  }

  async function currentItem(ctx: ServiceContext, as: MotoKey, table: string, key: Item): Promise<Item | null | undefined> {
    const res = await moto(ctx, as, 'GetItem', { TableName: table, Key: key, ConsistentRead: true });
    if (res.status !== 200) return undefined;
    return obj(res.body['Item']) ?? null;
  }

  /** A write of single items through the gateway: reads each item's image first, journals what moto applied. */
  async function journaledWrite(ctx: ServiceContext, call: AwsCall, writes: { table: string; key?: Item; item?: Item }[]): Promise<Handled> {
    const tables = [...new Set(writes.map((w) => w.table))].sort();
    const run = async (): Promise<Handled> => {
      const befores: { table: string; key: Item; before: Item | null }[] = [];
      for (const w of writes) {
        const attrs = await keyAttributes(ctx, call.caller, w.table);
        const key = w.key ?? (attrs && w.item ? keyOf(w.item, attrs) : undefined);
        if (!attrs || !key) continue;
        const before = await currentItem(ctx, call.caller, w.table, key);
        if (before !== undefined) befores.push({ table: w.table, key, before });
      }
      const reply = await ctx.forward(call);
      if (reply.status === 200) {
        const at = ctx.now();
        for (const b of befores) record(b.table, { at, key: b.key, before: b.before });
      }
      return { reply, servedBy: 'moto' };
    };
    // Nested per-table locks in a fixed order (tables sorted), so two batch writes cannot deadlock.
    const locked = tables.reduceRight<() => Promise<Handled>>((inner, t) => () => tableLock.run(t, inner), run);
    return locked();
  }

  async function pointInTimeRestore(ctx: ServiceContext, call: AwsCall): Promise<Handled> {
    const p = call.info.params;
    const sourceRef = str(p['SourceTableName']) ?? str(p['SourceTableArn']);
    const target = str(p['TargetTableName']);
    if (sourceRef === undefined || target === undefined) return { reply: await ctx.forward(call), servedBy: 'moto' };
    const source = tableNameOf(sourceRef);
    const now = ctx.now();
    if (stateOf(target, now)) return refuse('TableInUseException', `A target table with the specified name is either being created or deleted: ${target}`);
    const useLatest = p['UseLatestRestorableTime'] === true;
    const rawTime = p['RestoreDateTime'];
    if (useLatest && rawTime !== undefined) return refuse('ValidationException', 'Only one of RestoreDateTime or UseLatestRestorableTime may be specified');
    if (!useLatest && typeof rawTime !== 'number') return refuse('ValidationException', 'Either RestoreDateTime or UseLatestRestorableTime must be specified');
    const backups = await moto(ctx, call.caller, 'DescribeContinuousBackups', { TableName: source });
    // An unknown source is moto's to refuse (SourceTableNotFoundException).
    if (backups.status !== 200) return { reply: await ctx.forward(call), servedBy: 'moto' };
    const pitr = obj(obj(backups.body['ContinuousBackupsDescription'])?.['PointInTimeRecoveryDescription']);
    if (pitr?.['PointInTimeRecoveryStatus'] !== 'ENABLED') {
      return refuse('PointInTimeRecoveryUnavailableException', `Point in time recovery is not enabled for table '${source}'`);
    }
    const motoEarliest = typeof pitr['EarliestRestorableDateTime'] === 'number' ? pitr['EarliestRestorableDateTime'] * 1000 : now;
    const earliest = pitrSince.get(source) ?? motoEarliest;
    const restoreAt = useLatest ? now : (rawTime as number) * 1000;
    if (restoreAt < earliest || restoreAt > now) {
      return refuse(
        'InvalidRestoreTimeException',
        `Restore time ${new Date(restoreAt).toISOString()} is outside the restorable window of table '${source}': ${new Date(earliest).toISOString()} to ${new Date(now).toISOString()}`,
      );
    }
    return tableLock.run(source, async () => {
      const reply = await ctx.forward(call);
      if (reply.status !== 200) return { reply, servedBy: 'moto' as const };
      // moto copied the current items: undo every later write, newest first.
      const later = (journal.get(source) ?? []).filter((e) => e.at > restoreAt);
      for (let i = later.length - 1; i >= 0; i--) {
        const e = later[i];
        if (!e) continue;
        const res = e.before
          ? await moto(ctx, call.caller, 'PutItem', { TableName: target, Item: e.before })
          : await moto(ctx, call.caller, 'DeleteItem', { TableName: target, Key: e.key });
        if (res.status !== 200) throw new Error(`undoing a write on the restored table ${target} failed: HTTP ${res.status}`);
      }
      ctx.log(`dynamodb: restored ${source} → ${target} as of ${new Date(restoreAt).toISOString()} (${later.length} later writes undone)`);
      lifecycle.set(target, { state: 'CREATING', until: ctx.now() + creatingMs, restoreDateTime: restoreAt });
      restoreTimes.set(target, restoreAt);
      return { reply: patchDescription(reply, 'TableDescription', target, ctx.now()), servedBy: 'moto' as const };
    });
  }

  /** A reply's table description as the lifecycle says it is now. */
  function patchDescription(reply: Reply, field: 'TableDescription' | 'Table', table: string, now: number): Reply {
    const l = stateOf(table, now);
    const body = parseBody(reply);
    const d = obj(body[field]);
    if (!d) return reply;
    const restore = obj(d['RestoreSummary']);
    if (l?.state === 'CREATING') {
      d['TableStatus'] = 'CREATING';
      if (restore) restore['RestoreInProgress'] = true;
    }
    const restoredAt = restoreTimes.get(table);
    if (restore && restoredAt !== undefined) restore['RestoreDateTime'] = restoredAt / 1000;
    return withBody(reply, body);
  }

  function tablesOf(call: AwsCall): string[] {
    const p = call.info.params;
    if (BATCH.has(call.info.action)) return Object.keys(obj(p['RequestItems']) ?? {});
    const t = str(p['TableName']);
    return t === undefined ? [] : [tableNameOf(t)];
  }

  async function writer(ctx: ServiceContext, table: string, as: MotoKey): Promise<void> {
    await tableLock.run(table, async () => {
      const at = ctx.now();
      const item = {
        [SEED_KEY_ATTRIBUTE]: { S: `w-${at}-${randomBytes(3).toString('hex')}` },
        [SEED_TIMESTAMP_ATTRIBUTE]: { S: new Date(at).toISOString() },
        source: { S: 'sandbox-writer' },
      };
      const res = await moto(ctx, as, 'PutItem', { TableName: table, Item: item });
      if (res.status === 200) record(table, { at, key: { [SEED_KEY_ATTRIBUTE]: item[SEED_KEY_ATTRIBUTE] }, before: null });
      else if (res.status === 400 && str(res.body['__type'])?.includes('ResourceNotFound')) stopWriter(table);
    });
  }

  function stopWriter(table: string): void {
    const t = writers.get(table);
    if (t) clearInterval(t);
    writers.delete(table);
  }

  return {
    service: 'dynamodb',

    async registerTable(ctx, tableName, o) {
      if (o.pitrSince !== undefined) pitrSince.set(tableName, o.pitrSince);
      const attrs = await keyAttributes(ctx, o.writeAs, tableName);
      if (!attrs) throw new Error(`dynamodb: cannot register ${tableName}: moto does not know it`);
      // Seeded items count as written at their timestamp (their history is backdated).
      let startKey: unknown;
      const seeded: JournalEntry[] = [];
      do {
        const res = await moto(ctx, o.writeAs, 'Scan', { TableName: tableName, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
        if (res.status !== 200) throw new Error(`dynamodb: scanning ${tableName} failed: HTTP ${res.status}`);
        for (const raw of Array.isArray(res.body['Items']) ? res.body['Items'] : []) {
          const item = obj(raw);
          const ts = str(obj(item?.[SEED_TIMESTAMP_ATTRIBUTE])?.['S']);
          const at = ts === undefined ? NaN : Date.parse(ts);
          if (item && Number.isFinite(at)) seeded.push({ at, key: keyOf(item, attrs), before: null });
        }
        startKey = res.body['LastEvaluatedKey'];
      } while (startKey);
      seeded.sort((a, b) => a.at - b.at);
      journal.set(tableName, [...seeded, ...(journal.get(tableName) ?? [])]);
      if (o.writer !== false && !stopped && !writers.has(tableName)) {
        const t = setInterval(() => {
          writer(ctx, tableName, o.writeAs).catch((err: unknown) => ctx.log(`dynamodb writer on ${tableName}: ${(err as Error).message}`));
        }, writerIntervalMs);
        t.unref();
        writers.set(tableName, t);
      }
    },

    stop() {
      stopped = true;
      for (const t of writers.keys()) stopWriter(t);
    },

    async handle(ctx, call) {
      const { info } = call;
      if (info.protocol !== 'json') return undefined;
      const now = ctx.now();
      const action = info.action;

      if (DATA_PLANE.has(action) || BATCH.has(action)) {
        const busy = tablesOf(call).find((t) => stateOf(t, now) !== undefined);
        if (busy !== undefined) return refuse('ResourceNotFoundException', `Requested resource not found: Table: ${busy} not found`);
      }

      switch (action) {
        case 'RestoreTableToPointInTime':
          return pointInTimeRestore(ctx, call);
        case 'RestoreTableFromBackup':
        case 'CreateTable': {
          const target = str(info.params[action === 'CreateTable' ? 'TableName' : 'TargetTableName']);
          if (target === undefined) return undefined;
          const state = stateOf(target, now);
          if (state) {
            return action === 'CreateTable'
              ? refuse('ResourceInUseException', `Attempt to change a resource which is still in use: Table is being ${state.state === 'CREATING' ? 'created' : 'deleted'}: ${target}`)
              : refuse('TableInUseException', `A target table with the specified name is either being created or deleted: ${target}`);
          }
          if (action === 'CreateTable') return undefined;
          const reply = await ctx.forward(call);
          if (reply.status !== 200) return { reply, servedBy: 'moto' };
          lifecycle.set(target, { state: 'CREATING', until: ctx.now() + creatingMs });
          return { reply: patchDescription(reply, 'TableDescription', target, ctx.now()), servedBy: 'moto' };
        }
        case 'DeleteTable': {
          const table = str(info.params['TableName']);
          if (table === undefined) return undefined;
          const name = tableNameOf(table);
          const state = stateOf(name, now);
          if (state?.state === 'CREATING') return refuse('ResourceInUseException', `Attempt to change a resource which is still in use: Table is being created: ${name}`);
          if (state?.state === 'DELETING') return refuse('ResourceInUseException', `Attempt to change a resource which is still in use: Table is being deleted: ${name}`);
          const reply = await ctx.forward(call);
          if (reply.status !== 200) return { reply, servedBy: 'moto' };
          const body = parseBody(reply);
          const d = obj(body['TableDescription']) ?? { TableName: name };
          d['TableStatus'] = 'DELETING';
          lifecycle.set(name, { state: 'DELETING', until: ctx.now() + deletingMs, description: d });
          stopWriter(name);
          journal.delete(name);
          keySchemas.delete(name);
          pitrSince.delete(name);
          restoreTimes.delete(name);
          return { reply: withBody(reply, body), servedBy: 'moto' };
        }
        case 'DescribeTable': {
          const table = str(info.params['TableName']);
          if (table === undefined) return undefined;
          const name = tableNameOf(table);
          const state = stateOf(name, now);
          if (state?.state === 'DELETING') return { reply: jsonReply({ Table: state.description }, requestId()), servedBy: 'gateway' };
          const reply = await ctx.forward(call);
          return { reply: reply.status === 200 ? patchDescription(reply, 'Table', name, now) : reply, servedBy: 'moto' };
        }
        case 'PutItem':
        case 'DeleteItem':
        case 'UpdateItem': {
          const table = str(info.params['TableName']);
          if (table === undefined) return undefined;
          const key = obj(info.params['Key']);
          const item = obj(info.params['Item']);
          return journaledWrite(ctx, call, [{ table: tableNameOf(table), ...(key ? { key } : {}), ...(item ? { item } : {}) }]);
        }
        case 'BatchWriteItem': {
          const writes: { table: string; key?: Item; item?: Item }[] = [];
          for (const [table, requests] of Object.entries(obj(info.params['RequestItems']) ?? {})) {
            for (const r of Array.isArray(requests) ? requests : []) {
              const put = obj(obj(r)?.['PutRequest'])?.['Item'];
              const del = obj(obj(r)?.['DeleteRequest'])?.['Key'];
              if (obj(put)) writes.push({ table, item: put as Item });
              else if (obj(del)) writes.push({ table, key: del as Item });
            }
          }
          return journaledWrite(ctx, call, writes);
        }
        case 'UpdateContinuousBackups': {
          const table = str(info.params['TableName']);
          const enable = obj(info.params['PointInTimeRecoverySpecification'])?.['PointInTimeRecoveryEnabled'];
          const reply = await ctx.forward(call);
          if (reply.status === 200 && table !== undefined) {
            const name = tableNameOf(table);
            if (enable === true && !pitrSince.has(name)) pitrSince.set(name, ctx.now());
            if (enable === false) pitrSince.delete(name);
          }
          return { reply, servedBy: 'moto' };
        }
        case 'DescribeContinuousBackups': {
          const table = str(info.params['TableName']);
          const reply = await ctx.forward(call);
          if (reply.status !== 200 || table === undefined) return { reply, servedBy: 'moto' };
          const body = parseBody(reply);
          const pitr = obj(obj(body['ContinuousBackupsDescription'])?.['PointInTimeRecoveryDescription']);
          if (pitr?.['PointInTimeRecoveryStatus'] === 'ENABLED') {
            const since = pitrSince.get(tableNameOf(table));
            if (since !== undefined) pitr['EarliestRestorableDateTime'] = since / 1000;
            pitr['LatestRestorableDateTime'] = ctx.now() / 1000;
          }
          return { reply: withBody(reply, body), servedBy: 'moto' };
        }
        default:
          return undefined;
      }
    },
  };
}
