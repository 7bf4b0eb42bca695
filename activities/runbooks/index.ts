// Declarative-runbook activities, one object for createActivities to spread: the fixed check
// catalogue (checks.ts) and the root-login watcher's read (root-logins.ts).
import type { Client } from '@temporalio/client';
import type { CheckResult } from '../../workflows/runbook/definitions';
import type { AwsClients } from '../aws/clients';
import { runRunbookCheck } from './checks';
import type { RunbookCheckInput } from './checks';
import { findRootLogins, temporalOpenRunAt } from './root-logins';
import type { FindRootLoginsInput, RootLoginsFound } from './root-logins';

export type { RunbookCheckInput } from './checks';
export type { FindRootLoginsInput, OpenRunAt, RootLoginsFound } from './root-logins';

export function createRunbookActivities(deps: { aws: AwsClients; temporal: { client: Client; taskQueue: string } }) {
  const openRunAt = temporalOpenRunAt(deps.temporal.client, deps.temporal.taskQueue);
  return {
    /** One check of the catalogue, read through the account's execution role. */
    async runRunbookCheck(input: RunbookCheckInput): Promise<CheckResult> {
      return runRunbookCheck(deps.aws, input);
    },

    /** Successful root console sign-ins in a window, each with the expected run it fell in (if any). */
    async findRootLogins(input: FindRootLoginsInput): Promise<RootLoginsFound> {
      return findRootLogins({ aws: deps.aws, openRunAt }, input);
    },
  };
}

export type RunbookActivities = ReturnType<typeof createRunbookActivities>;
