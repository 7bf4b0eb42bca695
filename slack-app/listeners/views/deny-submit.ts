// The deny / reject reason modal's submission: the deny Update on the round the button named.
// A refusal (self-denial, not an approver, already decided) is told to the person who submitted.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { MIN_DENY_REASON_LENGTH } from '../../../workflows/shared/approval/gate';
import { DENY_FIELDS, VIEWS } from '../../../shared/slack-blocks/ids';
import { explain, tellUser, unknownUserText } from '../../context';
import type { ListenerContext } from '../../context';
import { grantMetaSchema, readSubmission, reasonSubmissionSchema } from './submission';
import { decisionReply } from '../../../shared/slack-blocks/messages';

const metaSchema = grantMetaSchema.extend({ kind: z.enum(['deny', 'reject']), round: z.string().regex(/^(grant|ratification|extension-\d{1,3})$/) });


export function register(app: App, ctx: ListenerContext): void {
  app.view(VIEWS.deny, async ({ ack, body, client }) => {
    const read = readSubmission(body, reasonSubmissionSchema, metaSchema);
    if (!read) {
      await ack({ response_action: 'errors', errors: { [DENY_FIELDS.reason.block]: 'This form could not be read; nothing was changed.' } });
      return;
    }
    const { meta } = read;
    const reason = (read.body.view.state.values.reason.reason.value ?? '').trim();
    if (reason.length < MIN_DENY_REASON_LENGTH) {
      await ack({ response_action: 'errors', errors: { [DENY_FIELDS.reason.block]: `Give a reason (at least ${MIN_DENY_REASON_LENGTH} characters).` } });
      return;
    }
    const slackUser = read.body.user.id;
    const where = { channel: meta.channel, user: slackUser };
    const person = ctx.personFor(slackUser);
    if (!person) {
      await ack({ response_action: 'errors', errors: { [DENY_FIELDS.reason.block]: unknownUserText(slackUser).slice(0, 150) } });
      return;
    }
    await ack();
    try {
      const r = await ctx.breakGlass.deny(meta.grantId, person.id, reason, { round: meta.round, via: 'slack' });
      await tellUser(client, where, decisionReply(meta.grantId, r));
    } catch (err) {
      await tellUser(client, where, explain(err));
    }
  });
}
