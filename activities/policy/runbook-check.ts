// Is a declarative runbook run's input the policy's runbook, started by someone the policy lets start
// it? Anyone who can start a workflow through Temporal could otherwise write their own steps (no
// approval, confirmers of their choosing). Checked once, before the first step: a policy edit later
// never changes a run in flight. Pure: unit-tested.
import { runbookDefinitionFor } from '../../client/runbook-definition';
import { securityPeople } from '../../config/policy/lookup';
import type { Policy } from '../../config/policy/types';
import { canonicalJson } from '../../evidence/canonical-json';
import type { RunbookInput } from '../../workflows/runbook/definitions';
import type { PolicyVerdict } from './break-glass-check';
import { matchPolicyTarget } from './target-match';

export function checkRunbookInput(input: RunbookInput, policy: Policy): PolicyVerdict {
  const verdict = matchPolicyTarget(() => runbookDefinitionFor(policy, input.runbook.name), input.runbook);
  if (!verdict.accepted) return verdict;
  const problems: string[] = [];
  if (!input.runbook.requesters.includes(input.requestedBy)) problems.push(`${input.requestedBy} may not start runbook ${input.runbook.name}`);
  if (canonicalJson([...input.security].sort()) !== canonicalJson(securityPeople(policy).sort())) problems.push("security differs from the policy's security groups");
  return { accepted: problems.length === 0, problems };
}
