// The Node version Safeguard runs on. The image runs Node 22 (deploy/Dockerfile): Node 20 reached
// end of life on 2026-04-30, and AWS SDK v3 releases after the first week of January 2027 require
// Node 22. On Node 20 (supported for development: engines >=20.3) the SDK prints a nine-line notice
// on stderr from every process, including every CLI command an AWS CLI profile runs through
// credential_process. We silence that notice deliberately and say it once, in one line, in the
// long-running processes' logs instead (docs/decisions.md).

export const PRODUCTION_NODE_MAJOR = 22;
const SDK_NOTICE_OFF = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Call first thing in a process's main. Turns the SDK's notice off unless the operator chose
 * otherwise, and returns the one-line notice to log, or undefined on Node 22 or later.
 */
export function nodeVersionNotice(version: string = process.version, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[SDK_NOTICE_OFF] === undefined) env[SDK_NOTICE_OFF] = 'true';
  const major = Number(/^v(\d+)\./.exec(version)?.[1] ?? 0);
  if (major >= PRODUCTION_NODE_MAJOR) return undefined;
  return `running on Node ${version}: production runs Node ${PRODUCTION_NODE_MAJOR} (the image's); Node 20 is past end of life and AWS SDK releases after January 2027 need Node ${PRODUCTION_NODE_MAJOR}`;
}
