// The bench's own workflows (bundled on their own: nothing of Safeguard's is in this bundle).
export { emptyWorkflow } from './empty.workflow';
