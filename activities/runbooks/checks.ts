// The read-only AWS checks a declarative runbook may run (config/policy/check-catalogue.ts names
// them): a fixed catalogue, so a policy author can never make the worker call an API of their
// choosing. Every read goes through the account's execution role and every AWS failure through
// awsCall, so a refused call (AccessDenied) fails the activity for good with the action named, and
// throttling is retried. Results say what was read for evidence: counts, dates, event ids; never a
// secret.
import { GetAccountSummaryCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/activity';
import { CHECK_NAMES } from '../../workflows/runbook/steps';
import type { AccountRef, CheckSpec } from '../../workflows/runbook/steps';
import type { CheckResult } from '../../workflows/runbook/definitions';
import type { AccountClients, AwsClients } from '../aws/clients';
import { accountClients } from '../aws/clients';
import { awsCall } from '../aws/errors';
import { CredentialReportError, parseCsv } from '../reviews/credential-report';
import { credentialReport } from '../reviews/iam-inventory';
import { rootConsoleLogins } from './console-logins';

export interface RunbookCheckInput {
  check: CheckSpec;
  account: AccountRef;
  /** Where a look-back check starts: the step's or the run's start. */
  sinceIso: string;
}

/** A check that cannot be run as given (a workflow bug, not an AWS problem): retrying cannot help. */
function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'RunbookCheckInvalid', message, nonRetryable: true });
}

export async function runRunbookCheck(aws: AwsClients, input: RunbookCheckInput): Promise<CheckResult> {
  const since = new Date(input.sinceIso);
  if (Number.isNaN(since.getTime())) throw invalid(`check ${input.check.name}: since "${input.sinceIso}" is not a date`);
  const name = input.check.name;
  // Input from history can name a check this worker does not know (a newer catalogue).
  if (!(CHECK_NAMES as readonly string[]).includes(name)) throw invalid(`check "${String(name)}" is not in the catalogue`);
  if (name === 'iam-user-password-changed' && !input.check.user) throw invalid('check iam-user-password-changed needs the IAM user name (check.user)');
  const clients = await accountClients(aws, input.account);
  const result = await readCheck(clients, input.account.accountId, input.check, since);
  return { check: name, ...result, checkedAt: new Date().toISOString() };
}

type Answer = Omit<CheckResult, 'check' | 'checkedAt'>;

function readCheck(clients: AccountClients, accountId: string, check: CheckSpec, since: Date): Promise<Answer> {
  switch (check.name) {
    case 'root-mfa-no-access-keys':
      return rootMfaNoAccessKeys(clients.iam);
    case 'root-console-login':
      return rootConsoleLogin(clients, accountId, since);
    case 'iam-user-password-changed':
      return passwordChanged(clients.iam, accountId, check.user ?? '', since);
    default: {
      const unknown: never = check.name;
      throw invalid(`check "${String(unknown)}" is not in the catalogue`);
    }
  }
}

/** The root user has MFA and no access keys (IAM's account summary says both). */
async function rootMfaNoAccessKeys(iam: IAMClient): Promise<Answer> {
  const out = await awsCall('GetAccountSummary', () => iam.send(new GetAccountSummaryCommand({})));
  const mfa = out.SummaryMap?.['AccountMFAEnabled'];
  const keys = out.SummaryMap?.['AccountAccessKeysPresent'];
  if (mfa === undefined || keys === undefined) {
    // Guessing either way could pass a root user with keys; say what is missing instead.
    return { passed: false, summary: 'GetAccountSummary did not report AccountMFAEnabled and AccountAccessKeysPresent', facts: {} };
  }
  const passed = mfa === 1 && keys === 0;
  const summary = passed ? 'root has MFA and no access keys' : `${mfa === 1 ? 'root has MFA' : 'root has no MFA'}; ${keys === 0 ? 'root has no access keys' : 'root has access keys'}`;
  return { passed, summary, facts: { accountMfaEnabled: mfa, accountAccessKeysPresent: keys } };
}

/** A successful root console sign-in since `since`; the newest is named. */
async function rootConsoleLogin(clients: AccountClients, accountId: string, since: Date): Promise<Answer> {
  const { logins, truncated } = await rootConsoleLogins(clients.signInTrail, { accountId, since });
  const newest = logins[0];
  const partial = truncated ? ' (only the newest console sign-ins were read: there were too many)' : '';
  if (!newest) {
    return { passed: false, summary: `no root console sign-in since ${since.toISOString()}${partial}`, facts: { logins: 0, ...(truncated ? { truncated } : {}) } };
  }
  const mfa = newest.mfaUsed === 'Yes' ? ' with MFA' : newest.mfaUsed === 'No' ? ' without MFA' : '';
  const more = logins.length > 1 ? ` (${logins.length} root sign-ins since ${since.toISOString()})` : '';
  return {
    passed: true,
    summary: `root signed in at ${newest.at}${newest.sourceIp ? ` from ${newest.sourceIp}` : ''}${mfa}${more}${partial}`,
    facts: {
      logins: logins.length,
      newestEventId: newest.eventId,
      newestAt: newest.at,
      ...(newest.sourceIp !== undefined ? { sourceIp: newest.sourceIp } : {}),
      ...(newest.mfaUsed !== undefined ? { mfaUsed: newest.mfaUsed } : {}),
      ...(truncated ? { truncated } : {}),
    },
  };
}

// The credential report's "never" and "not applicable" values.
const NO_DATE = new Set(['', 'N/A', 'no_information', 'not_supported']);

/**
 * The user's console password changed since `since`, from the credential report (IAM has no other
 * read of when a password changed). The report's dates are whole seconds, so a change in the same
 * second as `since` counts. AWS reuses a report for up to four hours, so a change newer than the
 * report shows only in a later one: the summary names the report's time when that may be why.
 */
async function passwordChanged(iam: IAMClient, accountId: string, user: string, since: Date): Promise<Answer> {
  const report = await credentialReport(iam);
  let row: PasswordRow | undefined;
  try {
    row = reportRow(report.csv, user);
  } catch (err) {
    // The same report comes back for hours: retrying cannot help.
    if (err instanceof CredentialReportError) throw ApplicationFailure.create({ type: 'CredentialReportInvalid', message: err.message, nonRetryable: true, cause: err });
    throw err;
  }
  const generated: Record<string, string> = report.generatedAt ? { reportGeneratedAt: report.generatedAt } : {};
  const sinceIso = since.toISOString();
  const staleNote = report.generatedAt && Date.parse(report.generatedAt) < Math.floor(since.getTime() / 1000) * 1000 ? `; the credential report is from ${report.generatedAt}, before that (AWS makes a new one at most every 4 hours)` : '';
  if (!row) {
    const asOf = report.generatedAt ? ` (generated at ${report.generatedAt})` : '';
    return { passed: false, summary: `IAM user ${user} is not in the credential report of ${accountId}${asOf}`, facts: { user, inReport: false, ...generated } };
  }
  if (row.passwordEnabled !== 'true') {
    return { passed: false, summary: `IAM user ${user} has no console password${staleNote}`, facts: { user, inReport: true, passwordEnabled: false, ...generated } };
  }
  if (row.passwordLastChanged === undefined) {
    return { passed: false, summary: `the credential report has no password change date for ${user}${staleNote}`, facts: { user, inReport: true, passwordEnabled: true, ...generated } };
  }
  const passed = Date.parse(row.passwordLastChanged) >= Math.floor(since.getTime() / 1000) * 1000;
  const summary = passed ? `${user}'s password changed at ${row.passwordLastChanged}, after ${sinceIso}` : `${user}'s password last changed at ${row.passwordLastChanged}, before ${sinceIso}${staleNote}`;
  return { passed, summary, facts: { user, inReport: true, passwordEnabled: true, passwordLastChanged: row.passwordLastChanged, ...generated } };
}

interface PasswordRow {
  passwordEnabled: string;
  /** ISO, when the report has a date. */
  passwordLastChanged?: string;
}

/**
 * The user's password columns, read by header name (AWS has added columns before). The review's
 * parser (parseCredentialReport) keeps no password change date, so the same CSV reader is used here
 * for the two columns this check needs.
 */
export function reportRow(csv: string, user: string): PasswordRow | undefined {
  const [header, ...rows] = parseCsv(csv.replace(/^\uFEFF/, ''));
  const col = (name: string): number => {
    const i = header?.findIndex((h) => h.trim() === name) ?? -1;
    if (i < 0) throw new CredentialReportError(`credential report has no ${name} column (header: ${header?.join(',') ?? 'none'})`);
    return i;
  };
  const [userCol, enabledCol, changedCol] = [col('user'), col('password_enabled'), col('password_last_changed')];
  const fields = rows.find((r) => (r[userCol] ?? '').trim() === user);
  if (!fields) return undefined;
  const changed = (fields[changedCol] ?? '').trim();
  if (NO_DATE.has(changed)) return { passwordEnabled: (fields[enabledCol] ?? '').trim().toLowerCase() };
  const ms = Date.parse(changed);
  // An unreadable date must not read as "changed" or "never changed": either would be a wrong answer.
  if (Number.isNaN(ms)) throw new CredentialReportError(`credential report: password_last_changed "${changed}" of ${user} is not a date`);
  return { passwordEnabled: (fields[enabledCol] ?? '').trim().toLowerCase(), passwordLastChanged: new Date(ms).toISOString() };
}
