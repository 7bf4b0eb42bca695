// Reading a modal submission: the body validated by the listener's schema, and the request it is
// about from private_metadata (set by us, but it travels through Slack, so it is checked again).
import { z } from 'zod';
import { GRANT_ID_PATTERN } from '../../../client/request';

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
