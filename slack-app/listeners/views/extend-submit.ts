// The extend modal's submission: a bad duration is shown inline; otherwise the extend Update, whose
// validator refuses anyone but the requester, inactive grants and extensions over the maximum.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { parseRequestDuration } from '../../../client/request';
import { EXTEND_FIELDS, VIEWS } from '../../../shared/slack-blocks/ids';
import { explain, tellUser, unknownUserText } from '../../context';
import type { ListenerContext } from '../../context';
import { grantMetaSchema, readSubmission } from './submission';

const text = z.object({ value: z.string().max(5000).nullish() }).passthrough();
const submissionSchema = z.object({
  user: z.object({ id: z.string().min(1).max(32) }),
  view: z.object({
    private_metadata: z.string().max(3000),
    state: z.object({
      values: z.object({
        [EXTEND_FIELDS.duration.block]: z.object({ [EXTEND_FIELDS.duration.action]: text }),
        [EXTEND_FIELDS.reason.block]: z.object({ [EXTEND_FIELDS.reason.action]: text }).optional(),
      }),
    }),
  }),
});

export function register(app: App, ctx: ListenerContext): void {
  app.view(VIEWS.extend, async ({ ack, body, client }) => {
    const read = readSubmission(body, submissionSchema, grantMetaSchema);
    if (!read) {
      await ack({ response_action: 'errors', errors: { [EXTEND_FIELDS.duration.block]: 'This form could not be read; nothing was changed.' } });
      return;
    }
    const { meta } = read;
    const person = ctx.personFor(read.body.user.id);
    if (!person) {
      await ack({ response_action: 'errors', errors: { [EXTEND_FIELDS.duration.block]: unknownUserText(read.body.user.id).slice(0, 150) } });
      return;
    }
    const values = read.body.view.state.values;
    let byMs: number;
    try {
      byMs = parseRequestDuration(values.duration.duration.value ?? '');
    } catch (err) {
      await ack({ response_action: 'errors', errors: { [EXTEND_FIELDS.duration.block]: explain(err).slice(0, 150) } });
      return;
    }
    await ack();
    const reason = values.reason?.reason.value?.trim();
    const where = { channel: meta.channel, user: read.body.user.id };
    try {
      const r = await ctx.breakGlass.extend(meta.grantId, person.id, byMs, reason || undefined);
      await tellUser(client, where, `Extension of \`${meta.grantId}\` requested (until ${r.proposedEndAt} if approved); the approvers have been asked.`);
    } catch (err) {
      await tellUser(client, where, explain(err));
    }
  });
}
