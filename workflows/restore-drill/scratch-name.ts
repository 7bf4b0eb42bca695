// The scratch resource's name, derived from the drill run's workflow id so a retried or replayed
// run always names the same resource (crash safety: the name is the idempotency key). Pure.
import { fnv1a } from '../shared/stable-hash';
import { SCRATCH_PREFIX } from './targets';

/** `sg-drill-<drill>-<8 hex>`: at most 50 characters for a 32-character drill name (RDS allows 63). */
export function scratchNameFor(drill: string, workflowId: string): string {
  return `${SCRATCH_PREFIX}${drill}-${fnv1a(workflowId)}`;
}
