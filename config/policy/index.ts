// The policy, for everything outside workflow code: loading (file:line errors), its types,
// lookups and rotation-target resolution. Workflow code imports ./types, ./lookup and ./targets
// directly: this module pulls in the loader (node:fs, yaml, zod).
//
// Layout: one file per section of the policy file (shared.ts: groups, people, accounts, security,
// slack; breakGlass.ts; rotation.ts), each with its zod schema and its cross-check; load.ts
// composes them; fields.ts holds the field builders they share; issues.ts maps problems to lines.
export type {
  AccessKeyRotationPolicy,
  AccessKeyStore,
  Account,
  BreakGlassMode,
  BreakGlassRole,
  BreakGlassSettings,
  DeleteApprovalPolicy,
  Group,
  KmsRotationPolicy,
  Person,
  Policy,
  PolicyIssue,
  RotationSchedule,
  RotationSettings,
  SecurityConfig,
  SlackSettings,
} from './types';
export { formatIssue, formatPath, PolicyError } from './issues';
export type { PolicyChecks, PolicyErrorCode, SectionCheck } from './issues';
export { loadPolicyFile, parsePolicy, policyJsonSchema, POLICY_VERSION, V1_MESSAGE } from './load';
export type { ParsePolicyResult, PolicyFileInput } from './load';
export {
  approverPool,
  canRequest,
  findPersonByAwsArn,
  findPersonById,
  findPersonBySlackId,
  getAccount,
  getRole,
  peopleInGroups,
  requestableRoles,
  securityPeople,
} from './lookup';
