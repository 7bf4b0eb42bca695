// `safeguard creds|connect|console <grant>`: using an active grant. Always through the api, which
// is the only place credentials are minted; they go from the api to this process and nowhere else.
import { spawnSync } from 'node:child_process';
import { SSMClient, StartSessionCommand } from '@aws-sdk/client-ssm';
import type { ProcessCredentials } from '../../client/vending';
import type { SafeguardApiClient } from '../api-client';
import { allowedTargets } from '../../api/sessions';
import { SafeguardError } from '../../client/errors';
import type { Policy } from '../../config/policy/types';

export function formatEnvExports(c: ProcessCredentials): string {
  return [
    `export AWS_ACCESS_KEY_ID=${c.AccessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${c.SecretAccessKey}`,
    `export AWS_SESSION_TOKEN=${c.SessionToken}`,
    `# expires ${c.Expiration}`,
  ].join('\n');
}

export interface ConnectResult {
  sessionId: string;
  target: string;
  plugin: 'session-manager-plugin' | 'none';
}

function hasSessionManagerPlugin(): boolean {
  return spawnSync('session-manager-plugin', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** StartSession with vended credentials, tell the workflow, then hand over to the plugin if present.
 * The role's ssmTargets are checked first (the api checks again when the session is reported). */
export async function connect(api: SafeguardApiClient, policy: Policy, grantId: string, target: string, aws: { region: string; endpoint?: string }, opts: { interactive: boolean }): Promise<ConnectResult> {
  const role = (await api.status(grantId)).role;
  const allowed = allowedTargets(policy, role);
  if (!allowed.includes(target)) {
    throw new SafeguardError('REFUSED', allowed.length > 0 ? `${role} allows sessions on ${allowed.join(', ')} only` : `${role} allows no SSM sessions (its ssmTargets are empty)`, { refusal: 'TARGET_NOT_ALLOWED' });
  }
  const c = await api.credentials(grantId);
  const ssm = new SSMClient({ region: aws.region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}), credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
  try {
    const started = await ssm.send(new StartSessionCommand({ Target: target }));
    if (!started.SessionId) throw new Error('StartSession returned no session id');
    await api.reportSession(grantId, started.SessionId, target);
    if (opts.interactive && !aws.endpoint && hasSessionManagerPlugin()) {
      const response = JSON.stringify({ SessionId: started.SessionId, TokenValue: started.TokenValue, StreamUrl: started.StreamUrl });
      spawnSync('session-manager-plugin', [response, aws.region, 'StartSession', '', JSON.stringify({ Target: target }), `https://ssm.${aws.region}.amazonaws.com`], { stdio: 'inherit' });
      return { sessionId: started.SessionId, target, plugin: 'session-manager-plugin' };
    }
    return { sessionId: started.SessionId, target, plugin: 'none' };
  } finally {
    ssm.destroy();
  }
}
