// iam:GenerateCredentialReport and iam:GetCredentialReport, served by the gateway per account (the
// caller's): moto's report has GeneratedTime 2015-02-02T20:02:02Z, no <root_account> row,
// `not_supported` for every key's last-use region and service, a password_last_changed for users
// without a password, and is rebuilt at every Get. The report here is built at Generate time from
// what moto holds (moto-hooks.ts) and the root user the gateway keeps (iam-ages.ts), by
// iam-credential-report.ts. With moto authenticating requests, moto is asked first so IAM policies
// decide who may read the report, as in AWS.

import { randomUUID } from 'node:crypto';
import { awsErrorReply } from '../faults';
import type { RootAccounts } from '../iam-ages';
import { CredentialReports, buildCredentialReport } from '../iam-credential-report';
import type { MotoHooks } from '../moto-hooks';
import { IAM_XMLNS } from '../iam-paging';
import { errorToReply } from './types';
import type { AwsCall, Handled, Reply, ServiceContext } from './types';

export interface CredentialReportServiceOptions {
  hooks: MotoHooks;
  roots: RootAccounts;
  /** How long an account's first report takes to generate (ReportInProgress meanwhile). Default 0. */
  generationMs?: number;
}

/** The account of a caller ARN (`arn:aws:iam::A:user/…`, `arn:aws:sts::A:assumed-role/…`). */
export function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

export const CREDENTIAL_REPORT_ACTIONS = new Set(['GenerateCredentialReport', 'GetCredentialReport']);

export function credentialReportService(opts: CredentialReportServiceOptions) {
  const reports = new CredentialReports({ ...(opts.generationMs !== undefined ? { generationMs: opts.generationMs } : {}) });

  const build = async (accountId: string): Promise<string> => buildCredentialReport(await opts.hooks.credentialFacts(accountId), opts.roots.get(accountId));

  async function handle(ctx: ServiceContext, call: AwsCall): Promise<Handled> {
    if (ctx.authenticate) {
      // moto judges the caller's IAM policies; its answer's content is replaced below.
      const verdict = await ctx.forward(call);
      const refused = verdict.status === 401 || verdict.status === 403;
      if (refused) return { reply: verdict, servedBy: 'moto' };
    }
    const accountId = accountOf(call.caller.arn);
    const requestId = randomUUID();
    if (call.info.action === 'GenerateCredentialReport') {
      const state = await reports.generate(accountId, () => build(accountId));
      const description = state === 'STARTED' ? '<Description>No report exists. Starting a new report generation task</Description>' : '';
      return { reply: xmlReply('GenerateCredentialReport', `<State>${state}</State>${description}`, requestId), servedBy: 'gateway' };
    }
    const report = reports.get(accountId);
    if (report.state === 'absent') {
      return { reply: errorToReply(awsErrorReply('query', 410, 'ReportNotPresent', 'Credential report not present. Call GenerateCredentialReport to generate one.')), servedBy: 'gateway' };
    }
    if (report.state === 'in-progress') {
      return { reply: errorToReply(awsErrorReply('query', 404, 'ReportInProgress', 'Credential report is being generated. Try again later.')), servedBy: 'gateway' };
    }
    const generated = new Date(report.generatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const content = Buffer.from(report.csv, 'utf8').toString('base64');
    return {
      reply: xmlReply('GetCredentialReport', `<Content>${content}</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>${generated}</GeneratedTime>`, requestId),
      servedBy: 'gateway',
    };
  }

  return { handle };
}

function xmlReply(action: string, result: string, requestId: string): Reply {
  const body = `<${action}Response xmlns="${IAM_XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: Buffer.from(body) };
}
