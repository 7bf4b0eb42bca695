/** The single workflowsPath entry (workflows/index.ts): nothing but workflow code below it. */
export const workflowsPath = require.resolve('../workflows');
