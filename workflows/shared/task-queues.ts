// Task queues. Runbooks run on the worker's own queue (SAFEGUARD_TASK_QUEUE); revocation writers run
// on one queue shared by every worker of the namespace, so one role has one writer whatever
// worker started the grant.
export const DEFAULT_TASK_QUEUE = 'safeguard';
export const DEFAULT_REVOCATION_TASK_QUEUE = 'safeguard-revocations';
