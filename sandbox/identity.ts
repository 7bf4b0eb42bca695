// Resolves an access key id to the caller's ARN by asking moto sts:GetCallerIdentity with an
// Authorization header that names the key. moto runs without request authentication, so any
// signature is accepted and the answer is the identity the key belongs to (users' keys → the user
// ARN, AssumeRole keys → the assumed-role ARN with the session name). moto answers keys it does
// not know with its default identity `arn:aws:sts::123456789012:user/moto`.

import { motoQuery, xmlText } from './moto-query';

export class IdentityResolver {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly motoEndpoint: string) {}

  resolve(accessKeyId: string): Promise<string> {
    let p = this.cache.get(accessKeyId);
    if (!p) {
      p = this.lookup(accessKeyId);
      this.cache.set(accessKeyId, p);
      p.catch(() => this.cache.delete(accessKeyId));
    }
    return p;
  }

  private async lookup(accessKeyId: string): Promise<string> {
    const res = await motoQuery(this.motoEndpoint, 'sts', accessKeyId, { Action: 'GetCallerIdentity', Version: '2011-06-15' });
    const arn = xmlText(res.text, 'Arn');
    if (res.status !== 200 || !arn) throw new Error(`GetCallerIdentity for ${accessKeyId} failed: HTTP ${res.status}`);
    return arn;
  }
}
