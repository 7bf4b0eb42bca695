// Block action payloads, validated: who clicked, on which request, and where to answer.
import { GRANT_ID_PATTERN } from '../../../client/request';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { Person } from '../../../config/policy/types';
import { tellUser, unknownUserText } from '../../context';
import type { ListenerContext } from '../../context';

const grantIdShape = GRANT_ID_PATTERN;
const ROUND = /^(grant|ratification|extension-\d{1,3})$/;

export const buttonBodySchema = z.object({
  user: z.object({ id: z.string().min(1).max(32) }),
  team: z.object({ id: z.string().max(32) }).nullish(),
  trigger_id: z.string().max(256).optional(),
  channel: z.object({ id: z.string().max(32) }).nullish(),
  container: z.object({ channel_id: z.string().max(32).optional() }).passthrough().nullish(),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).min(1),
});

export interface ButtonClick {
  slackUser: string;
  grantId: string | undefined;
  /** The round a decision button names (`<grant id>@<round>`); undefined on other buttons and old cards. */
  round: string | undefined;
  channel: string | undefined;
  triggerId: string | undefined;
}

/** undefined when the payload is not a well-formed button click; grantId undefined when its value is not a request id. */
export function parseButton(body: unknown): ButtonClick | undefined {
  const p = buttonBodySchema.safeParse(body);
  if (!p.success) return undefined;
  const [id, round, ...rest] = (p.data.actions[0]?.value ?? '').split('@');
  const wellFormed = id !== undefined && grantIdShape.test(id) && rest.length === 0 && (round === undefined || ROUND.test(round));
  return {
    slackUser: p.data.user.id,
    grantId: wellFormed ? id : undefined,
    round: wellFormed ? round : undefined,
    channel: p.data.channel?.id ?? p.data.container?.channel_id,
    triggerId: p.data.trigger_id,
  };
}

export interface RequestClick {
  grantId: string;
  round: string | undefined;
  person: Person;
  where: { channel: string | undefined; user: string };
  triggerId: string | undefined;
}

/**
 * The common start of every button on a request: a well-formed click, by a person in the policy, on
 * a request id. Anything else is told to the clicker and yields undefined (nothing is changed).
 */
export async function requestClick(body: unknown, ctx: ListenerContext, client: WebClient, opts: { needsTrigger?: boolean; needsRound?: boolean } = {}): Promise<RequestClick | undefined> {
  const click = parseButton(body);
  if (!click) return undefined;
  const where = { channel: click.channel, user: click.slackUser };
  const person = ctx.personFor(click.slackUser);
  if (!person) {
    await tellUser(client, where, unknownUserText(click.slackUser));
    return undefined;
  }
  if (!click.grantId || (opts.needsTrigger && !click.triggerId)) {
    await tellUser(client, where, 'That button does not name a break-glass request; nothing was changed.');
    return undefined;
  }
  if (opts.needsRound && !click.round) {
    // A card posted before buttons named their round: deciding from it could hit a round the person
    // never saw, so nothing is done.
    await tellUser(client, where, 'That card is out of date (its buttons do not say which decision they are for); nothing was changed. Use the latest card, or `safeguard breakglass approve|deny`.');
    return undefined;
  }
  return { grantId: click.grantId, round: click.round, person, where, triggerId: click.triggerId };
}
