// The IAM credential report as AWS writes it, from what moto holds (moto-hooks.ts CredentialFacts)
// and the root user the gateway keeps (iam-ages.ts RootAccounts): AWS's columns in AWS's order, the
// <root_account> row first, AWS's N/A / no_information / not_supported values, and the last-use
// region and service moto records but its own report leaves `not_supported`. Also the report's
// life per account (CredentialReports): AWS generates a report in the background (Generate answers
// STARTED, Get answers ReportInProgress meanwhile) and GeneratedTime is when it was made. Pure.

import type { CredentialFacts, UserCredentialFacts } from './moto-hooks';
import type { RootAccountState } from './iam-ages';

/** AWS's header, in AWS's order (docs: "Getting credential reports for your AWS account"). */
export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
] as const;

export type CredentialReportColumn = (typeof CREDENTIAL_REPORT_COLUMNS)[number];
export type CredentialReportRow = Record<CredentialReportColumn, string>;

export const ROOT_ACCOUNT_USER = '<root_account>';
const NA = 'N/A';
const DAY_MS = 86_400_000;

/** `2026-01-02T03:04:05+00:00`: the report's date format (whole seconds, explicit UTC offset). */
export function reportDate(iso: string | number): string {
  return `${new Date(iso).toISOString().slice(0, 19)}+00:00`;
}

/** The root account's row: AWS fills the password columns it has no data for with not_supported. */
export function rootRow(accountId: string, accountCreated: string, root: RootAccountState): CredentialReportRow {
  const keys = [1, 2].map((slot) => root.accessKeysActive >= slot);
  const row: CredentialReportRow = {
    user: ROOT_ACCOUNT_USER,
    arn: `arn:aws:iam::${accountId}:root`,
    user_creation_time: reportDate(accountCreated),
    password_enabled: 'not_supported',
    password_last_used: root.passwordLastUsedAt !== undefined ? reportDate(root.passwordLastUsedAt) : 'no_information',
    password_last_changed: 'not_supported',
    password_next_rotation: 'not_supported',
    mfa_active: String(root.mfaActive),
    access_key_1_active: 'false',
    access_key_1_last_rotated: NA,
    access_key_1_last_used_date: NA,
    access_key_1_last_used_region: NA,
    access_key_1_last_used_service: NA,
    access_key_2_active: 'false',
    access_key_2_last_rotated: NA,
    access_key_2_last_used_date: NA,
    access_key_2_last_used_region: NA,
    access_key_2_last_used_service: NA,
    cert_1_active: 'false',
    cert_1_last_rotated: NA,
    cert_2_active: 'false',
    cert_2_last_rotated: NA,
  };
  keys.forEach((active, i) => {
    if (!active) return;
    const n = (i + 1) as 1 | 2;
    row[`access_key_${n}_active`] = 'true';
    row[`access_key_${n}_last_rotated`] = reportDate(root.keysSince ?? accountCreated);
  });
  return row;
}

/** One IAM user's row. */
export function userRow(user: UserCredentialFacts, passwordMaxAgeDays: number | null): CredentialReportRow {
  const row = {
    user: user.name,
    arn: user.arn,
    user_creation_time: reportDate(user.created),
    password_enabled: String(user.passwordEnabled),
    // AWS: N/A without a password; no_information when it has never been used (or not since Oct 2014).
    password_last_used: !user.passwordEnabled ? NA : user.passwordLastUsed !== null ? reportDate(user.passwordLastUsed) : 'no_information',
    password_last_changed: user.passwordEnabled && user.passwordLastChanged !== null ? reportDate(user.passwordLastChanged) : NA,
    // Only a password policy with a maximum age makes passwords expire.
    password_next_rotation:
      user.passwordEnabled && user.passwordLastChanged !== null && passwordMaxAgeDays !== null
        ? reportDate(Date.parse(user.passwordLastChanged) + passwordMaxAgeDays * DAY_MS)
        : NA,
    mfa_active: String(user.mfaActive),
  } as CredentialReportRow;
  for (const n of [1, 2] as const) {
    const key = user.accessKeys[n - 1];
    const used = key?.lastUsed ?? null;
    row[`access_key_${n}_active`] = String(key?.active ?? false);
    row[`access_key_${n}_last_rotated`] = key ? reportDate(key.created) : NA;
    row[`access_key_${n}_last_used_date`] = used ? reportDate(used.at) : NA;
    row[`access_key_${n}_last_used_region`] = used?.region ?? NA;
    row[`access_key_${n}_last_used_service`] = used?.service ?? NA;
    const cert = user.certificates[n - 1];
    row[`cert_${n}_active`] = String(cert?.active ?? false);
    row[`cert_${n}_last_rotated`] = cert ? reportDate(cert.uploaded) : NA;
  }
  return row;
}

/** The report's CSV: header, the root row, then every user; lines end with \n as AWS's do. */
export function buildCredentialReport(facts: CredentialFacts, root: RootAccountState): string {
  const rows = [rootRow(facts.accountId, facts.accountCreated, root), ...facts.users.map((u) => userRow(u, facts.passwordMaxAgeDays))];
  const lines = [CREDENTIAL_REPORT_COLUMNS.join(','), ...rows.map((r) => CREDENTIAL_REPORT_COLUMNS.map((c) => csvField(r[c])).join(','))];
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 quoting where needed: IAM names and paths may contain commas. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The CSV back into rows by column name (for tests and tools reading a report). */
export function parseCredentialReport(csv: string): CredentialReportRow[] {
  const records = parseCsv(csv);
  const header = records.shift() ?? [];
  return records.map((fields) => Object.fromEntries(header.map((h, i) => [h, fields[i] ?? ''])) as CredentialReportRow);
}

function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

// ---- the report's life -------------------------------------------------------------------------

export type GenerateState = 'STARTED' | 'INPROGRESS' | 'COMPLETE';

export type ReportLookup = { state: 'absent' } | { state: 'in-progress' } | { state: 'ready'; csv: string; generatedAt: number };

interface AccountReport {
  csv: string;
  generatedAt: number;
  /** Get answers ReportInProgress until then. */
  readyAt: number;
}

export interface CredentialReportsOptions {
  /**
   * How long generating an account's first report takes: Gets meanwhile answer ReportInProgress
   * and Generates INPROGRESS, as in AWS. Default 0 (ready at once).
   */
  generationMs?: number;
  now?: () => number;
}

/**
 * The latest report of each account. Unlike AWS, which keeps a report for four hours and answers
 * COMPLETE without regenerating, every Generate on a ready report makes a new one (GeneratedTime
 * moves on): tests change IAM and read the change straight away. What a report says is fixed when
 * it is generated, as in AWS (moto builds it afresh at every Get).
 */
export class CredentialReports {
  private readonly reports = new Map<string, AccountReport>();
  private readonly building = new Map<string, Promise<AccountReport>>();
  private readonly generationMs: number;
  private readonly now: () => number;

  constructor(opts: CredentialReportsOptions = {}) {
    this.generationMs = opts.generationMs ?? 0;
    this.now = opts.now ?? Date.now;
  }

  async generate(accountId: string, build: () => Promise<string>): Promise<GenerateState> {
    const existing = this.reports.get(accountId);
    const now = this.now();
    if (existing && now < existing.readyAt) return 'INPROGRESS';
    const inFlight = this.building.get(accountId);
    if (inFlight) {
      await inFlight;
      return existing ? 'COMPLETE' : 'STARTED';
    }
    const first = existing === undefined;
    const promise = build().then((csv) => {
      const report = { csv, generatedAt: now, readyAt: first ? now + this.generationMs : now };
      this.reports.set(accountId, report);
      return report;
    });
    this.building.set(accountId, promise);
    try {
      await promise;
    } finally {
      this.building.delete(accountId);
    }
    return first ? 'STARTED' : 'COMPLETE';
  }

  get(accountId: string): ReportLookup {
    const r = this.reports.get(accountId);
    if (!r) return { state: 'absent' };
    if (this.now() < r.readyAt) return { state: 'in-progress' };
    return { state: 'ready', csv: r.csv, generatedAt: r.generatedAt };
  }
}
