// What every listener gets: the policy, the run clients, a logger, and helpers for the two
// things every listener does — find the person behind a Slack user, and tell someone why not.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { BreakGlassClient } from '../client/break-glass-client';
import type { DecisionsClient } from '../client/decisions-client';
import type { ReviewClient } from '../client/review-client';
import type { RunbookClient } from '../client/runbook-client';
import { SafeguardError } from '../client/errors';
import { findPersonById, findPersonBySlackId } from '../config/policy/lookup';
import type { Person, Policy } from '../config/policy/types';
import { ephemeral } from '../shared/slack-blocks/messages';
import { personLabel } from '../shared/slack-blocks/text';
import type { PersonLabel } from '../shared/slack-blocks/text';
import type { Message } from '../shared/slack-blocks/types';
import { refusalInfo } from '../workflows/shared/refusals';
import type { SlackMetrics } from '../shared/ops/metrics';

export type BreakGlassApi = Pick<BreakGlassClient, 'start' | 'approve' | 'deny' | 'revoke' | 'extend' | 'status' | 'list'>;

export type DecisionsApi = Pick<DecisionsClient, 'approve' | 'deny'>;

export type ReviewsApi = Pick<ReviewClient, 'decideOn' | 'reviewer' | 'pendingFor'>;

export type RunbooksApi = Pick<RunbookClient, 'confirm'>;

export interface SlackAppDeps {
  policy: Policy;
  breakGlass: BreakGlassApi;
  /** Decisions on every other kind's runs. */
  decisions: DecisionsApi;
  /** Access reviews (review messages, App Home). Optional so a Slack app wired without it still serves
   * everything else; its review buttons then say so. */
  reviews?: ReviewsApi;
  /** Declarative runbooks' confirm steps. Optional like `reviews`: without it, Confirm buttons say so. */
  runbooks?: RunbooksApi;
  logger: Logger;
  /** When set, requests from other workspaces are refused. */
  teamId?: string;
  /** The process's metrics (shared/ops/metrics.ts): ack latency. */
  metrics?: SlackMetrics;
}

export interface ListenerContext extends SlackAppDeps {
  who: PersonLabel;
  personFor(slackUserId: string | undefined): Person | undefined;
}

export function listenerContext(deps: SlackAppDeps): ListenerContext {
  return {
    ...deps,
    who: personLabel((id) => findPersonById(deps.policy, id)?.slackId),
    personFor: (slackUserId) => (slackUserId ? findPersonBySlackId(deps.policy, slackUserId) : undefined),
  };
}

export function unknownUserText(slackUserId: string | undefined): string {
  return `Your Slack account (${slackUserId ?? 'unknown'}) is not a person in the Safeguard policy, so nothing was started. Ask a platform admin to add your slackId to the policy file.`;
}

/** The message a person sees when Safeguard refuses what they asked. */
export function explain(err: unknown): string {
  if (err instanceof SafeguardError) {
    if (err.code === 'REFUSED') {
      // The code, as the CLI prints it; the registry's label stands in when there is no message.
      return `Refused (${err.refusal ?? 'refused'}): ${err.message || refusalInfo(err.refusal)?.label || 'refused'}`;
    }
    return err.message;
  }
  return 'Safeguard could not do that right now (the error was logged). Try again, or use the `safeguard` CLI.';
}

/** Ephemeral in the channel where the person clicked; a DM from the app when there is no channel (App Home). */
export async function tellUser(client: WebClient, where: { channel?: string | undefined; user: string }, text: string | Message): Promise<void> {
  const m = typeof text === 'string' ? ephemeral(text) : text;
  if (where.channel) await client.chat.postEphemeral({ channel: where.channel, user: where.user, text: m.text, blocks: m.blocks });
  else await client.chat.postMessage({ channel: where.user, text: m.text, blocks: m.blocks });
}
