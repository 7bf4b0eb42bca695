// The IAM credential report (GetCredentialReport's CSV) as the facts a Principal needs. Columns are
// read by header name: AWS has added columns to the report before, and moto's report differs from
// AWS's in which values it fills. Pure, so the inventory activity and the unit tests share it.
import type { AccessKeyFacts, AccountInventory } from '../../workflows/access-review/inventory';

/** One IAM user's row: what the credential report says about its console, MFA and keys. */
export interface UserReportRow {
  user: string;
  arn: string;
  createdAt?: string;
  console: { enabled: boolean; lastUsedAt?: string };
  mfaActive: boolean;
  /** Only the slots that hold a key (active, or with a rotation date). */
  accessKeys: AccessKeyFacts[];
}

export interface CredentialReport {
  /** GetCredentialReport's GeneratedTime, passed through: the CSV does not carry it. */
  generatedAt?: string;
  root?: NonNullable<AccountInventory['root']>;
  users: Map<string, UserReportRow>;
}

export class CredentialReportError extends Error {
  readonly code = 'credential-report-invalid';
  constructor(message: string) {
    super(message);
    this.name = 'CredentialReportError';
  }
}

const ROOT_USER = '<root_account>';

// What the findings depend on. The last-used region and service, and the certificate columns, are
// optional: nothing is judged from them, and moto leaves the former `not_supported` anyway.
const REQUIRED_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
] as const;

// AWS writes these where a value does not apply or was never recorded; all mean "absent".
const ABSENT = new Set(['', 'N/A', 'no_information', 'not_supported']);

export function parseCredentialReport(csv: string, opts: { generatedAt?: string | Date } = {}): CredentialReport {
  const records = parseCsv(csv.replace(/^\uFEFF/, ''));
  const header = records[0];
  if (!header || header.every((h) => h.trim() === '')) throw new CredentialReportError('credential report is empty: no header row');
  const columns = new Map<string, number>();
  header.forEach((name, i) => {
    if (!columns.has(name.trim())) columns.set(name.trim(), i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new CredentialReportError(`credential report is missing required column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (header: ${header.join(',')})`);
  }

  const users = new Map<string, UserReportRow>();
  let root: CredentialReport['root'];
  records.slice(1).forEach((fields, i) => {
    const line = i + 2;
    if (fields.length === 1 && fields[0] === '') return;
    if (fields.length !== header.length) {
      throw new CredentialReportError(`credential report line ${line} has ${fields.length} fields; the header has ${header.length}`);
    }
    const row = new Row(fields, columns, line);
    const user = row.raw('user');
    if (user === ROOT_USER) {
      root = rootRow(row);
      return;
    }
    if (user === '') throw new CredentialReportError(`credential report line ${line} has no user name`);
    if (users.has(user)) throw new CredentialReportError(`credential report line ${line} repeats user ${user}`);
    users.set(user, userRow(row, user));
  });

  const generatedAt = opts.generatedAt === undefined ? undefined : toIso(opts.generatedAt);
  return { ...(generatedAt !== undefined ? { generatedAt } : {}), ...(root ? { root } : {}), users };
}

function userRow(row: Row, user: string): UserReportRow {
  const createdAt = row.date('user_creation_time');
  const passwordLastUsed = row.date('password_last_used');
  return {
    user,
    arn: row.raw('arn'),
    ...(createdAt !== undefined ? { createdAt } : {}),
    console: { enabled: row.bool('password_enabled') ?? false, ...(passwordLastUsed !== undefined ? { lastUsedAt: passwordLastUsed } : {}) },
    mfaActive: row.bool('mfa_active') ?? false,
    accessKeys: [1, 2].flatMap((slot) => keySlot(row, slot)),
  };
}

function keySlot(row: Row, slot: number): AccessKeyFacts[] {
  const p = `access_key_${slot}_`;
  const active = row.bool(`${p}active`) ?? false;
  const createdAt = row.date(`${p}last_rotated`);
  // An empty slot reads active=false with no rotation date; a deactivated key keeps its date.
  if (!active && createdAt === undefined) return [];
  const lastUsedAt = row.date(`${p}last_used_date`);
  const lastUsedRegion = row.value(`${p}last_used_region`);
  const lastUsedService = row.value(`${p}last_used_service`);
  return [
    {
      slot,
      active,
      ...(createdAt !== undefined ? { createdAt } : {}),
      ...(lastUsedAt !== undefined ? { lastUsedAt } : {}),
      ...(lastUsedRegion !== undefined ? { lastUsedRegion } : {}),
      ...(lastUsedService !== undefined ? { lastUsedService } : {}),
    },
  ];
}

function rootRow(row: Row): NonNullable<AccountInventory['root']> {
  const passwordLastUsedAt = row.date('password_last_used');
  const accessKeysActive = [1, 2].filter((slot) => row.bool(`access_key_${slot}_active`) === true).length;
  return { mfaActive: row.bool('mfa_active') ?? false, accessKeysActive, ...(passwordLastUsedAt !== undefined ? { passwordLastUsedAt } : {}) };
}

class Row {
  constructor(
    private readonly fields: string[],
    private readonly columns: Map<string, number>,
    private readonly line: number,
  ) {}

  raw(column: string): string {
    const i = this.columns.get(column);
    return i === undefined ? '' : (this.fields[i] ?? '').trim();
  }

  value(column: string): string | undefined {
    const v = this.raw(column);
    return ABSENT.has(v) ? undefined : v;
  }

  // Explicit: a value that is neither true nor false is a report we do not understand, and
  // guessing either way would raise or hide findings.
  bool(column: string): boolean | undefined {
    const v = this.value(column);
    if (v === undefined) return undefined;
    if (v.toLowerCase() === 'true') return true;
    if (v.toLowerCase() === 'false') return false;
    throw new CredentialReportError(`credential report line ${this.line}, column ${column}: "${v}" is not true or false`);
  }

  // A date we cannot read must not silently become "never used": that would raise false findings.
  date(column: string): string | undefined {
    const v = this.value(column);
    if (v === undefined) return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new CredentialReportError(`credential report line ${this.line}, column ${column}: "${v}" is not a date`);
    return new Date(ms).toISOString();
  }
}

function toIso(at: string | Date): string {
  const ms = at instanceof Date ? at.getTime() : Date.parse(at);
  if (Number.isNaN(ms)) throw new CredentialReportError(`credential report GeneratedTime "${String(at)}" is not a date`);
  return new Date(ms).toISOString();
}

/**
 * RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. IAM user names
 * may contain commas, so a plain split on "," is not enough even though AWS rarely quotes.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i += 1;
    } else field += c;
    i += 1;
  }
  if (quoted) throw new CredentialReportError('credential report ends inside a quoted field');
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
