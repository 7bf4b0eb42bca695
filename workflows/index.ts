// The single workflowsPath entry: nothing but workflow code below this folder.
export { breakGlassWorkflow } from './break-glass/break-glass.workflow';
export { revocationCleanupWorkflow } from './break-glass/revocation-cleanup.workflow';
export { revocationPolicyWriterWorkflow } from './break-glass/revocation-policy.workflow';
export { breakGlassReconcilerWorkflow, reconcileGrantWorkflow } from './break-glass/reconcile.workflow';
export { accessKeyRotationWorkflow } from './key-rotation/access-key-rotation.workflow';
export { kmsRotationWorkflow } from './key-rotation/kms-rotation.workflow';
export { restoreDrillWorkflow } from './restore-drill/restore-drill.workflow';
export { drillSweeperWorkflow } from './restore-drill/sweeper.workflow';
export { breakGlassDrillWorkflow } from './fire-drill/break-glass-drill.workflow';
export { accessReviewWorkflow } from './access-review/access-review.workflow';
export { accessReviewerWorkflow } from './access-review/reviewer.workflow';
export { declarativeRunbookWorkflow } from './runbook/declarative-runbook.workflow';
export { rootLoginWatchWorkflow } from './runbook/root-login-watch.workflow';
