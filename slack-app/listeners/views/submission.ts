// Reading a modal submission: the body validated by the listener's schema, and the request it is
// about from private_metadata (set by us, but it travels through Slack, so it is checked again).
import { z } from 'zod';
import { GRANT_ID_PATTERN } from '../../../client/request';
import { DENY_FIELDS } from '../../../shared/slack-blocks/ids';

export const grantMetaSchema = z.object({ grantId: z.string().regex(GRANT_ID_PATTERN), channel: z.string().max(32).optional() });

export function readSubmission<B extends { view: { private_metadata: string } }, M>(
  body: unknown,
  submissionSchema: z.ZodType<B>,
  metaSchema: z.ZodType<M>,
): { body: B; meta: M } | undefined {
  const parsed = submissionSchema.safeParse(body);
  if (!parsed.success) return undefined;
  try {
    return { body: parsed.data, meta: metaSchema.parse(JSON.parse(parsed.data.view.private_metadata)) };
  } catch {
    return undefined;
  }
}

/** A reason modal's submission (deny, reject): who submitted, and the text of the reason field. */
export const reasonSubmissionSchema = z.object({
  user: z.object({ id: z.string().min(1).max(32) }),
  view: z.object({
    private_metadata: z.string().max(3000),
    state: z.object({ values: z.object({ [DENY_FIELDS.reason.block]: z.object({ [DENY_FIELDS.reason.action]: z.object({ value: z.string().max(5000).nullish() }).passthrough() }) }) }),
  }),
});
