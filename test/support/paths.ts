import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');
export const toolsBin = path.join(repoRoot, '.tools/venv/bin');
export const temporalCli = path.join(toolsBin, 'temporal');
export const timeSkippingServer = path.join(toolsBin, 'temporal-test-server');
