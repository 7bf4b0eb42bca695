// Invariant 1 (DESIGN.md §6): no secret is ever printed. Vended credentials never enter a history or
// an evidence record by design; this is the second line: every value under a secret key, and every
// secret-shaped string (AWS secret keys, session tokens, Slack tokens), is replaced before a timeline
// leaves this module, and the timeline says where.
import { redactSecretShapes } from '../../config/redact';
import type { Timeline } from './types';

export function scrubTimeline(timeline: Timeline): Timeline {
  const { redactions: _previous, ...rest } = timeline;
  const { value, paths } = redactSecretShapes(rest);
  return paths.length > 0 ? { ...value, redactions: paths.map((p) => p.replace(/^record/, 'timeline')) } : value;
}
