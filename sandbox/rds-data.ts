// The content of the sandbox's RDS databases, which moto does not have: per DB instance, tables of
// timestamped rows, kept in the gateway's memory. A seeded source database has a table `events`
// that a writer keeps appending to, so a snapshot or a point-in-time restore comes back with the
// rows of its moment and a validation can count them and find the newest (RPO from data, not from
// metadata). Rows are append-only with non-decreasing times, so "the database as of T" is every
// row whose time is ≤ T. services/rds.ts decides when to copy what; this module only keeps rows.

/** One row of a table. `at` is epoch ms. */
export interface DataRow {
  id: number;
  at: number;
  note: string;
}

/** Table name → rows, oldest first. */
export type Database = Map<string, DataRow[]>;

export const EVENTS_TABLE = 'events';
/** Rows a seeded source gets backdated over the hour before its creation (its first automated snapshot's content). */
export const DEFAULT_BACKDATED_ROWS = 100;
const BACKDATE_SPAN_MS = 60 * 60_000;

export interface TableSummary {
  rows: number;
  /** Epoch ms of the newest row; undefined for an empty table. */
  newest?: number;
}

export type QueryResult = { ok: true; summary: TableSummary } | { ok: false; error: 'no-database' | 'no-table' };

export interface RdsDataOptions {
  /** A seeded source's writer appends a row this often. 0: no writers. */
  writerIntervalMs: number;
  now?: () => number;
}

export class RdsData {
  private readonly databases = new Map<string, Database>();
  /** Snapshot id → the database as it was when the snapshot was taken (manual and final snapshots). */
  private readonly snapshots = new Map<string, Database>();
  private readonly writers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;

  constructor(private readonly opts: RdsDataOptions) {
    if (!Number.isFinite(opts.writerIntervalMs) || opts.writerIntervalMs < 0) throw new RangeError(`writerIntervalMs must be ≥ 0, got ${opts.writerIntervalMs}`);
    this.now = opts.now ?? Date.now;
  }

  /** A seeded source: an `events` table with `backdated` rows spread over the hour before `createdAt`. */
  seedSource(id: string, createdAt: number, backdated = DEFAULT_BACKDATED_ROWS): void {
    const rows: DataRow[] = [];
    for (let i = 0; i < backdated; i++) {
      rows.push({ id: i + 1, at: createdAt - BACKDATE_SPAN_MS + Math.round(((i + 1) * BACKDATE_SPAN_MS) / backdated), note: `seeded event ${i + 1}` });
    }
    this.databases.set(id, new Map([[EVENTS_TABLE, rows]]));
  }

  /** A database with no tables (CreateDBInstance through the gateway). */
  createEmpty(id: string): void {
    this.databases.set(id, new Map());
  }

  has(id: string): boolean {
    return this.databases.has(id);
  }

  /** The database of `id` as of `at` (every row whose time is ≤ at), or undefined if there is none. */
  asOf(id: string, at: number): Database | undefined {
    const db = this.databases.get(id);
    return db ? copyDatabase(db, at) : undefined;
  }

  /** Records the content of a snapshot taken now of `instanceId` (nothing if the instance has no data). */
  captureSnapshot(snapshotId: string, instanceId: string): void {
    const db = this.databases.get(instanceId);
    if (db) this.snapshots.set(snapshotId, copyDatabase(db, Number.POSITIVE_INFINITY));
  }

  /** The content recorded for a snapshot, if it was captured. */
  snapshot(snapshotId: string): Database | undefined {
    const db = this.snapshots.get(snapshotId);
    return db ? copyDatabase(db, Number.POSITIVE_INFINITY) : undefined;
  }

  /** `id` now holds `db` (a restore). */
  restore(id: string, db: Database): void {
    this.databases.set(id, db);
  }

  /** The instance is gone: its writer stops and its rows go (snapshots keep theirs). */
  drop(id: string): void {
    this.stopWriter(id);
    this.databases.delete(id);
  }

  /** Starts appending a row to `events` every writerIntervalMs; false if there is no such database or writers are off. */
  startWriter(id: string): boolean {
    if (this.opts.writerIntervalMs === 0 || !this.databases.has(id)) return false;
    if (this.writers.has(id)) return true;
    const timer = setInterval(() => this.append(id, EVENTS_TABLE), this.opts.writerIntervalMs);
    timer.unref();
    this.writers.set(id, timer);
    return true;
  }

  stopWriter(id: string): boolean {
    const timer = this.writers.get(id);
    if (!timer) return false;
    clearInterval(timer);
    this.writers.delete(id);
    return true;
  }

  writing(id: string): boolean {
    return this.writers.has(id);
  }

  /** Appends one row now (the writer's step; also for tests that need a row at a known moment). */
  append(id: string, table: string, note = 'event'): DataRow | undefined {
    const db = this.databases.get(id);
    if (!db) return undefined;
    const rows = db.get(table) ?? [];
    if (!db.has(table)) db.set(table, rows);
    const last = rows[rows.length - 1];
    const row: DataRow = { id: (last?.id ?? 0) + 1, at: Math.max(this.now(), last?.at ?? 0), note };
    rows.push(row);
    return row;
  }

  /** SELECT count(*), max(at) FROM table. */
  query(id: string, table: string): QueryResult {
    const db = this.databases.get(id);
    if (!db) return { ok: false, error: 'no-database' };
    const rows = db.get(table);
    if (!rows) return { ok: false, error: 'no-table' };
    const newest = rows[rows.length - 1]?.at;
    return { ok: true, summary: { rows: rows.length, ...(newest !== undefined ? { newest } : {}) } };
  }

  /** Every table of `id` summarised (control API). */
  tables(id: string): Record<string, TableSummary> {
    const db = this.databases.get(id);
    if (!db) return {};
    const out: Record<string, TableSummary> = {};
    for (const [name, rows] of db) {
      const newest = rows[rows.length - 1]?.at;
      out[name] = { rows: rows.length, ...(newest !== undefined ? { newest } : {}) };
    }
    return out;
  }

  /** Stops every writer (gateway stop). */
  stop(): void {
    for (const id of [...this.writers.keys()]) this.stopWriter(id);
  }
}

function copyDatabase(db: Database, at: number): Database {
  const out: Database = new Map();
  for (const [name, rows] of db) out.set(name, rows.filter((r) => r.at <= at).map((r) => ({ ...r })));
  return out;
}
