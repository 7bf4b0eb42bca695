// Secrets Manager: moto answers a GetSecretValue that names neither VersionId nor VersionStage
// from the secret's first ("default") version, so after UpdateSecretVersionStage moves AWSCURRENT
// to a new version it still returns the old value. AWS answers from the version labelled
// AWSCURRENT; so does the gateway, by asking moto for that stage explicitly.
// (BatchGetSecretValue has the same moto bug and is not corrected here.)

import type { ServiceHandler } from './types';

export function secretsManagerService(): ServiceHandler {
  return {
    service: 'secretsmanager',
    async handle(ctx, call) {
      const { info } = call;
      if (info.action !== 'GetSecretValue' || info.protocol !== 'json') return undefined;
      if (info.params['VersionId'] !== undefined || info.params['VersionStage'] !== undefined) return undefined;
      const body = Buffer.from(JSON.stringify({ ...info.params, VersionStage: 'AWSCURRENT' }));
      return { reply: await ctx.forward(call, body), servedBy: 'moto' };
    },
  };
}
