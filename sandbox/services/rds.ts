// RDS as restore drills need it, where moto 5.2.5 differs from AWS (see the sandbox notes, §2):
// - status: moto has an instance `available` the moment it is created or restored and gone the
//   moment it is deleted. Here a created instance reads `creating`, a restored one `creating` then
//   `backing-up`, for a configurable time, before `available`; a deleted one reads `deleting` for a
//   while (kept as the last description moto gave, a "ghost") before DBInstanceNotFound, and its name
//   cannot be reused meanwhile.
// - every instance gets its own DbiResourceId (moto gives all the same one);
// - LatestRestorableTime lags (about 5 minutes in AWS; never before the instance was created), and
//   RestoreDBInstanceToPointInTime refuses a time outside [creation, latest restorable] with
//   InvalidRestoreFault instead of ignoring it;
// - DeleteDBInstance without SkipFinalSnapshot or a FinalDBSnapshotIdentifier is refused;
// - real data (rds-data.ts): snapshots capture rows as of their time, restores bring them back, and
//   a point-in-time restore brings back the rows written up to its restore time, which is recorded.
// moto still creates, restores, snapshots and deletes; this module judges calls first and patches
// what moto answers. The gateway's own look-ups go to moto signed as the caller (ServiceContext.forward).

import { randomBytes } from 'node:crypto';
import { awsErrorReply, requestId } from '../faults';
import { xmlText } from '../moto-query';
import { RdsData } from '../rds-data';
import type { Database, TableSummary } from '../rds-data';
import { errorToReply, param } from './types';
import type { AwsCall, Handled, Reply, ServiceContext, ServiceHandler } from './types';

export interface RdsSandboxOptions {
  /** How long an instance made by CreateDBInstance reads `creating`. Default 2000 ms. */
  createMs?: number;
  /** How long a restored instance reads `creating`, then `backing-up` (the last quarter), before `available`. Default 2000 ms. */
  restoreMs?: number;
  /** How long a deleted instance reads `deleting` before DBInstanceNotFound. Default 1000 ms. */
  deleteMs?: number;
  /** How far LatestRestorableTime lags behind now (never before the instance's creation). Default 300000 ms (AWS: about 5 minutes). */
  latestRestorableLagMs?: number;
  /** A seeded source's writer appends a row to `events` this often; 0 turns writers off. Default 1000 ms. */
  writerIntervalMs?: number;
}

export const RDS_DEFAULTS: Required<RdsSandboxOptions> = {
  createMs: 2_000,
  restoreMs: 2_000,
  deleteMs: 1_000,
  latestRestorableLagMs: 5 * 60_000,
  writerIntervalMs: 1_000,
};

export type RdsStatus = 'creating' | 'backing-up' | 'available' | 'deleting';

/** Where a restored instance's data came from: the snapshot's time, or the point in time restored to. */
export interface RestoreRecord {
  basis: 'snapshot' | 'point-in-time';
  /** Snapshot id, or `point-in-time`. */
  ref: string;
  /** ISO. */
  time: string;
  /** The source DB instance. */
  source: string;
}

/** The gateway's view of an instance (control API, tests). */
export interface RdsInstanceView {
  id: string;
  dbiResourceId: string;
  status: RdsStatus;
  createdAt: string;
  availableAt: string;
  restoredFrom?: RestoreRecord;
  /** A writer appends to its `events` table. */
  writer: boolean;
  tables: Record<string, { rows: number; newest?: string }>;
}

export interface RdsSandbox extends ServiceHandler {
  readonly data: RdsData;
  /** A seeded source database (created in moto before the gateway saw it): backdated rows and a writer. */
  addSource(id: string, createdAt: number, backdatedRows?: number): void;
  /** The gateway's status of an instance; undefined when it knows none of that name. */
  status(id: string): RdsStatus | undefined;
  instance(id: string): RdsInstanceView | undefined;
  instances(): RdsInstanceView[];
  /** Control routes under /_sandbox/rds (see rdsControl); undefined when the path is not one. */
  control(method: string, pathname: string, body: Buffer): { status: number; body: unknown } | undefined;
  /** Stops the writers. */
  stop(): void;
}

interface InstanceMeta {
  id: string;
  dbiResourceId: string;
  createdAt: number;
  /** `creating` until then (then `backing-up` until readyAt, for restores). */
  creatingUntil: number;
  readyAt: number;
  restoredFrom?: RestoreRecord;
}

/** A deleted instance that AWS would still show as `deleting`. */
interface Ghost {
  meta: InstanceMeta;
  /** Its last <DBInstance> description, status `deleting`. */
  xml: string;
  goneAt: number;
}

const DAY_MS = 86_400_000;
const RDS_VERSION = '2014-10-31';
const INSTANCE_BLOCK = /<DBInstance>([\s\S]*?)<\/DBInstance>/g;
const SNAPSHOT_BLOCK = /<DBSnapshot>([\s\S]*?)<\/DBSnapshot>/g;
const WRITER_PATH = /^\/_sandbox\/rds\/instances\/([^/]+)\/writer$/;

export function rdsService(options: RdsSandboxOptions = {}, now: () => number = Date.now): RdsSandbox {
  const opts = { ...RDS_DEFAULTS, ...definedOnly(options) };
  for (const [k, v] of Object.entries(opts)) if (!Number.isFinite(v) || v < 0) throw new RangeError(`rds.${k} must be ≥ 0 ms, got ${v}`);
  const data = new RdsData({ writerIntervalMs: opts.writerIntervalMs, now });
  const metas = new Map<string, InstanceMeta>();
  const ghosts = new Map<string, Ghost>();

  function liveGhost(id: string): Ghost | undefined {
    const g = ghosts.get(id);
    if (g && g.goneAt <= now()) {
      ghosts.delete(id);
      return undefined;
    }
    return g;
  }

  function statusOfMeta(m: InstanceMeta): RdsStatus {
    const t = now();
    return t < m.creatingUntil ? 'creating' : t < m.readyAt ? 'backing-up' : 'available';
  }

  function status(id: string): RdsStatus | undefined {
    if (liveGhost(id)) return 'deleting';
    const m = metas.get(id);
    return m ? statusOfMeta(m) : undefined;
  }

  function latestRestorable(m: InstanceMeta): number {
    return Math.max(m.createdAt, now() - opts.latestRestorableLagMs);
  }

  /** The meta of an instance moto described; made up (available, created when moto says) for one the gateway never saw made. */
  function metaOf(block: string): InstanceMeta | undefined {
    const id = xmlText(block, 'DBInstanceIdentifier');
    if (!id) return undefined;
    let m = metas.get(id);
    if (!m) {
      const created = parseTime(xmlText(block, 'InstanceCreateTime')) ?? now();
      m = { id, dbiResourceId: newDbiResourceId(), createdAt: created, creatingUntil: created, readyAt: created };
      metas.set(id, m);
    }
    return m;
  }

  /** An instance the gateway just saw moto create or restore. */
  function register(block: string | undefined, id: string, durationMs: number, restoredFrom?: RestoreRecord): void {
    const t = now();
    const created = parseTime(block && xmlText(block, 'InstanceCreateTime')) ?? t;
    const restore = restoredFrom !== undefined;
    metas.set(id, {
      id,
      dbiResourceId: newDbiResourceId(),
      createdAt: created,
      creatingUntil: t + (restore ? Math.round(durationMs * 0.75) : durationMs),
      readyAt: t + durationMs,
      ...(restoredFrom ? { restoredFrom } : {}),
    });
  }

  /** One <DBInstance> as AWS would describe it now. */
  function patchInstance(block: string): string {
    const m = metaOf(block);
    if (!m) return block;
    let out = setTag(block, 'DbiResourceId', m.dbiResourceId);
    if (xmlText(out, 'DBInstanceStatus') !== 'available') return removeTag(out, 'LatestRestorableTime');
    const s = statusOfMeta(m);
    out = setTag(out, 'DBInstanceStatus', s);
    if (s === 'creating') out = removeTag(out, 'Endpoint');
    if (s !== 'available' || Number(xmlText(out, 'BackupRetentionPeriod') ?? '0') === 0) return removeTag(out, 'LatestRestorableTime');
    return setTag(out, 'LatestRestorableTime', new Date(latestRestorable(m)).toISOString());
  }

  function patchInstances(xml: string): string {
    return xml.replace(INSTANCE_BLOCK, (_all, inner: string) => `<DBInstance>${patchInstance(inner)}</DBInstance>`);
  }

  /** DescribeDBInstances of one instance, straight from moto (not logged): its block and meta, or undefined. */
  async function describeOne(ctx: ServiceContext, call: AwsCall, id: string): Promise<{ block: string; meta: InstanceMeta } | undefined> {
    const reply = await ctx.forward(call, queryBody({ Action: 'DescribeDBInstances', DBInstanceIdentifier: id }));
    if (reply.status !== 200) return undefined;
    const block = firstBlock(reply.body.toString('utf8'), INSTANCE_BLOCK);
    const meta = block ? metaOf(block) : undefined;
    return block && meta ? { block, meta } : undefined;
  }

  async function describeInstances(ctx: ServiceContext, call: AwsCall): Promise<Handled> {
    const id = param(call.info, 'DBInstanceIdentifier');
    if (id !== undefined) {
      const ghost = liveGhost(id);
      if (ghost) return { reply: xmlReply('DescribeDBInstances', `<DBInstances><DBInstance>${ghost.xml}</DBInstance></DBInstances>`), servedBy: 'gateway' };
    }
    const reply = await ctx.forward(call);
    if (reply.status !== 200) return { reply, servedBy: 'moto' };
    let xml = patchInstances(reply.body.toString('utf8'));
    const filtered = Object.keys(call.info.params).some((k) => k.startsWith('Filters.'));
    if (id === undefined && !filtered && xmlText(xml, 'Marker') === undefined) {
      const shown = [...ghosts.keys()].filter((g) => liveGhost(g) !== undefined).map((g) => `<DBInstance>${ghosts.get(g)?.xml ?? ''}</DBInstance>`);
      if (shown.length > 0) xml = xml.replace(/<DBInstances\s*\/>/, '<DBInstances></DBInstances>').replace('</DBInstances>', `${shown.join('')}</DBInstances>`);
    }
    return { reply: withBody(reply, xml), servedBy: 'moto' };
  }

  async function createInstance(ctx: ServiceContext, call: AwsCall): Promise<Handled | undefined> {
    const id = param(call.info, 'DBInstanceIdentifier');
    if (id === undefined) return undefined;
    if (liveGhost(id)) return refused(alreadyExists());
    const reply = await ctx.forward(call);
    if (reply.status !== 200) return { reply, servedBy: 'moto' };
    const xml = reply.body.toString('utf8');
    register(firstBlock(xml, INSTANCE_BLOCK), id, opts.createMs);
    data.createEmpty(id);
    return { reply: withBody(reply, patchInstances(xml)), servedBy: 'moto' };
  }

  async function restoreFromSnapshot(ctx: ServiceContext, call: AwsCall): Promise<Handled | undefined> {
    const target = param(call.info, 'DBInstanceIdentifier');
    const snapshotRef = param(call.info, 'DBSnapshotIdentifier');
    if (target === undefined || snapshotRef === undefined) return undefined;
    if (liveGhost(target)) return refused(alreadyExists());
    const snapshotId = snapshotNameOf(snapshotRef);
    const described = await ctx.forward(call, queryBody({ Action: 'DescribeDBSnapshots', DBSnapshotIdentifier: snapshotId }));
    let restoredFrom: RestoreRecord | undefined;
    let db: Database | undefined;
    const snap = described.status === 200 ? firstBlock(described.body.toString('utf8'), SNAPSHOT_BLOCK) : undefined;
    if (snap) {
      const source = xmlText(snap, 'DBInstanceIdentifier') ?? '';
      const at = parseTime(xmlText(snap, 'SnapshotCreateTime')) ?? now();
      restoredFrom = { basis: 'snapshot', ref: snapshotId, time: new Date(at).toISOString(), source };
      // Manual and final snapshots were captured when taken; an automated one is its source as of its time.
      db = data.snapshot(snapshotId) ?? data.asOf(source, at);
    }
    const reply = await ctx.forward(call);
    if (reply.status !== 200) return { reply, servedBy: 'moto' };
    const xml = reply.body.toString('utf8');
    register(firstBlock(xml, INSTANCE_BLOCK), target, opts.restoreMs, restoredFrom);
    data.restore(target, db ?? new Map());
    return { reply: withBody(reply, patchInstances(xml)), servedBy: 'moto' };
  }

  async function restoreToPointInTime(ctx: ServiceContext, call: AwsCall): Promise<Handled | undefined> {
    const { info } = call;
    const byResourceId = param(info, 'SourceDbiResourceId');
    const sourceId = param(info, 'SourceDBInstanceIdentifier') ?? [...metas.values()].find((m) => m.dbiResourceId === byResourceId)?.id;
    const target = param(info, 'TargetDBInstanceIdentifier');
    if (sourceId === undefined || target === undefined) return undefined;
    const rawTime = param(info, 'RestoreTime');
    const useLatest = param(info, 'UseLatestRestorableTime') === 'true';
    if (rawTime !== undefined && useLatest) return refused(invalidCombination('Cannot specify both RestoreTime and UseLatestRestorableTime.'));
    if (rawTime === undefined && !useLatest) return refused(invalidCombination('Either RestoreTime or UseLatestRestorableTime must be specified.'));
    if (liveGhost(target)) return refused(alreadyExists());
    if (liveGhost(sourceId)) return refused(invalidState(`Instance ${sourceId} is not in the available state: it is being deleted.`));
    const source = await describeOne(ctx, call, sourceId);
    if (!source) return refused(errorToReply(awsErrorReply('query', 404, 'DBInstanceNotFound', `DBInstance ${sourceId} not found.`)));
    const sourceStatus = statusOfMeta(source.meta);
    if (sourceStatus !== 'available') return refused(invalidState(`Instance ${sourceId} is not in the available state: it is ${sourceStatus}.`));
    const retentionDays = Number(xmlText(source.block, 'BackupRetentionPeriod') ?? '0');
    if (!(retentionDays > 0)) return refused(invalidState(`Automated backups are not enabled for instance ${sourceId}: it cannot be restored to a point in time.`));
    const earliest = Math.max(source.meta.createdAt, now() - retentionDays * DAY_MS);
    const latest = latestRestorable(source.meta);
    const time = useLatest ? latest : Date.parse(rawTime ?? '');
    if (Number.isNaN(time)) return refused(errorToReply(awsErrorReply('query', 400, 'InvalidParameterValue', `Invalid RestoreTime: ${rawTime ?? ''}`)));
    if (time < earliest || time > latest) {
      return refused(
        errorToReply(
          awsErrorReply(
            'query',
            400,
            'InvalidRestoreFault',
            `Restore time ${new Date(time).toISOString()} is outside the restorable window of ${sourceId}: ${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()}.`,
          ),
        ),
      );
    }
    const db = data.asOf(sourceId, time);
    const reply = await ctx.forward(call);
    if (reply.status !== 200) return { reply, servedBy: 'moto' };
    const xml = reply.body.toString('utf8');
    register(firstBlock(xml, INSTANCE_BLOCK), target, opts.restoreMs, { basis: 'point-in-time', ref: 'point-in-time', time: new Date(time).toISOString(), source: sourceId });
    data.restore(target, db ?? new Map());
    return { reply: withBody(reply, patchInstances(xml)), servedBy: 'moto' };
  }

  async function createSnapshot(ctx: ServiceContext, call: AwsCall): Promise<Handled | undefined> {
    const id = param(call.info, 'DBInstanceIdentifier');
    const snapshotId = param(call.info, 'DBSnapshotIdentifier');
    if (id === undefined || snapshotId === undefined) return undefined;
    const s = status(id);
    if (s !== undefined && s !== 'available') return refused(invalidState(`Cannot create a snapshot because the database instance ${id} is not currently in the available state (it is ${s}).`));
    const reply = await ctx.forward(call);
    if (reply.status === 200) data.captureSnapshot(snapshotId, id);
    return { reply, servedBy: 'moto' };
  }

  async function deleteInstance(ctx: ServiceContext, call: AwsCall): Promise<Handled | undefined> {
    const id = param(call.info, 'DBInstanceIdentifier');
    if (id === undefined) return undefined;
    if (liveGhost(id)) return refused(invalidState(`Instance ${id} is already being deleted.`));
    const skip = param(call.info, 'SkipFinalSnapshot') === 'true';
    const finalSnapshot = param(call.info, 'FinalDBSnapshotIdentifier');
    if (!skip && finalSnapshot === undefined) return refused(invalidCombination('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.'));
    if (skip && finalSnapshot !== undefined) return refused(invalidCombination('FinalDBSnapshotIdentifier cannot be specified when SkipFinalSnapshot is enabled.'));
    const reply = await ctx.forward(call);
    if (reply.status !== 200) return { reply, servedBy: 'moto' };
    const xml = reply.body.toString('utf8');
    const block = firstBlock(xml, INSTANCE_BLOCK);
    const meta = block ? metaOf(block) : undefined;
    if (block && meta) {
      const last = removeTag(removeTag(setTag(setTag(block, 'DbiResourceId', meta.dbiResourceId), 'DBInstanceStatus', 'deleting'), 'LatestRestorableTime'), 'Endpoint');
      ghosts.set(id, { meta, xml: last, goneAt: now() + opts.deleteMs });
    }
    metas.delete(id);
    if (finalSnapshot !== undefined) data.captureSnapshot(finalSnapshot, id);
    data.drop(id);
    return { reply: withBody(reply, xml.replace(INSTANCE_BLOCK, () => `<DBInstance>${ghosts.get(id)?.xml ?? block ?? ''}</DBInstance>`)), servedBy: 'moto' };
  }

  async function describeSnapshots(ctx: ServiceContext, call: AwsCall): Promise<Handled> {
    const reply = await ctx.forward(call);
    if (reply.status !== 200) return { reply, servedBy: 'moto' };
    const xml = reply.body.toString('utf8').replace(SNAPSHOT_BLOCK, (_all, inner: string) => {
      const source = xmlText(inner, 'DBInstanceIdentifier');
      const m = source !== undefined ? (metas.get(source) ?? ghosts.get(source)?.meta) : undefined;
      return `<DBSnapshot>${m ? setTag(inner, 'DbiResourceId', m.dbiResourceId) : inner}</DBSnapshot>`;
    });
    return { reply: withBody(reply, xml), servedBy: 'moto' };
  }

  function view(m: InstanceMeta, s: RdsStatus): RdsInstanceView {
    const tables: RdsInstanceView['tables'] = {};
    for (const [name, t] of Object.entries(data.tables(m.id))) tables[name] = summaryView(t);
    return {
      id: m.id,
      dbiResourceId: m.dbiResourceId,
      status: s,
      createdAt: new Date(m.createdAt).toISOString(),
      availableAt: new Date(m.readyAt).toISOString(),
      ...(m.restoredFrom ? { restoredFrom: m.restoredFrom } : {}),
      writer: data.writing(m.id),
      tables,
    };
  }

  function instance(id: string): RdsInstanceView | undefined {
    const g = liveGhost(id);
    if (g) return view(g.meta, 'deleting');
    const m = metas.get(id);
    return m ? view(m, statusOfMeta(m)) : undefined;
  }

  return {
    service: 'rds',
    data,
    handle(ctx, call) {
      if (call.info.protocol !== 'query') return Promise.resolve(undefined);
      switch (call.info.action) {
        case 'DescribeDBInstances':
          return describeInstances(ctx, call);
        case 'CreateDBInstance':
          return createInstance(ctx, call);
        case 'RestoreDBInstanceFromDBSnapshot':
          return restoreFromSnapshot(ctx, call);
        case 'RestoreDBInstanceToPointInTime':
          return restoreToPointInTime(ctx, call);
        case 'CreateDBSnapshot':
          return createSnapshot(ctx, call);
        case 'DeleteDBInstance':
          return deleteInstance(ctx, call);
        case 'DescribeDBSnapshots':
          return describeSnapshots(ctx, call);
        default:
          return Promise.resolve(undefined);
      }
    },
    addSource(id, createdAt, backdatedRows) {
      if (!metas.has(id)) metas.set(id, { id, dbiResourceId: newDbiResourceId(), createdAt, creatingUntil: createdAt, readyAt: createdAt });
      data.seedSource(id, createdAt, backdatedRows);
      data.startWriter(id);
    },
    status,
    instance,
    instances: () => [...new Set([...metas.keys(), ...ghosts.keys()])].flatMap((id) => instance(id) ?? []),
    control(method, pathname, body) {
      if (method === 'GET' && pathname === '/_sandbox/rds/instances') return { status: 200, body: { instances: [...new Set([...metas.keys(), ...ghosts.keys()])].flatMap((id) => instance(id) ?? []) } };
      const writer = method === 'POST' ? WRITER_PATH.exec(pathname) : null;
      if (!writer) return undefined;
      let id: string;
      let running: unknown;
      try {
        id = decodeURIComponent(writer[1] ?? '');
        running = (JSON.parse(body.toString('utf8')) as { running?: unknown }).running;
      } catch {
        return { status: 400, body: { error: 'the body must be JSON {"running": true|false} and the instance id URL-encoded' } };
      }
      if (typeof running !== 'boolean') return { status: 400, body: { error: 'the body must be exactly {"running": true|false}' } };
      if (!data.has(id)) return { status: 404, body: { error: `no RDS database ${id}`, code: 'UnknownDatabase' } };
      if (running) data.startWriter(id);
      else data.stopWriter(id);
      return { status: 200, body: { id, writer: data.writing(id) } };
    },
    stop: () => data.stop(),
  };
}

function summaryView(t: TableSummary): { rows: number; newest?: string } {
  return { rows: t.rows, ...(t.newest !== undefined ? { newest: new Date(t.newest).toISOString() } : {}) };
}

/**
 * An AWS timestamp in epoch ms, rounded up when it has digits beyond the millisecond (moto writes
 * microseconds): a time capped at an instance's creation then never reads as before it, however a
 * client rounds.
 */
function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  if (Number.isNaN(t)) return undefined;
  const sub = /\.\d{3}(\d+)/.exec(s)?.[1];
  return sub !== undefined && /[1-9]/.test(sub) ? t + 1 : t;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `db-` and 26 base-32 characters, as AWS's look. */
function newDbiResourceId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `db-${[...randomBytes(26)].map((b) => alphabet[b % 32]).join('')}`;
}

/** `arn:aws:rds:<region>:<acct>:snapshot:<name>` → name (which may itself contain colons: `rds:db-…`). */
function snapshotNameOf(ref: string): string {
  const m = /^arn:aws[\w-]*:rds:[^:]*:\d{12}:snapshot:(.+)$/.exec(ref);
  return m?.[1] ?? ref;
}

function queryBody(params: Record<string, string>): Buffer {
  return Buffer.from(new URLSearchParams({ Version: RDS_VERSION, ...params }).toString());
}

function firstBlock(xml: string, re: RegExp): string | undefined {
  return new RegExp(re.source).exec(xml)?.[1];
}

function setTag(xml: string, tag: string, value: string): string {
  const re = new RegExp(`<${tag}>[^<]*</${tag}>|<${tag}\\s*/>`);
  const el = `<${tag}>${value}</${tag}>`;
  return re.test(xml) ? xml.replace(re, el) : `${xml}${el}`;
}

function removeTag(xml: string, tag: string): string {
  return xml.replace(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>|<${tag}\\s*/>`), '');
}

function withBody(reply: Reply, xml: string): Reply {
  return { ...reply, body: Buffer.from(xml) };
}

function xmlReply(action: string, result: string): Reply {
  const rid = requestId();
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': rid },
    body: Buffer.from(
      `<${action}Response xmlns="http://rds.amazonaws.com/doc/${RDS_VERSION}/"><${action}Result>${result}</${action}Result>` +
        `<ResponseMetadata><RequestId>${rid}</RequestId></ResponseMetadata></${action}Response>`,
    ),
  };
}

function refused(reply: Reply): Handled {
  return { reply, servedBy: 'gateway' };
}

function alreadyExists(): Reply {
  return errorToReply(awsErrorReply('query', 400, 'DBInstanceAlreadyExists', 'DB instance already exists'));
}

function invalidCombination(message: string): Reply {
  return errorToReply(awsErrorReply('query', 400, 'InvalidParameterCombination', message));
}

function invalidState(message: string): Reply {
  return errorToReply(awsErrorReply('query', 400, 'InvalidDBInstanceState', message));
}
