// The yardstick for the throughput ratio (DESIGN.md §9): a workflow that returns at once, so its
// rate is what the Temporal server, the client and a worker manage with no work of ours in between.
export async function emptyWorkflow(): Promise<void> {}
