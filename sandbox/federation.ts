// The console federation endpoint (signin.aws.amazon.com/federation) in the sandbox: getSigninToken
// for temporary credentials, and login redirecting to the destination. Only the shape is emulated;
// the session's secret is checked for presence, never stored or logged.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export function isFederationRequest(req: IncomingMessage): boolean {
  return (req.url ?? '').split('?')[0] === '/federation';
}

export function handleFederation(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  const reply = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  switch (url.searchParams.get('Action')) {
    case 'getSigninToken': {
      let session: { sessionId?: unknown; sessionKey?: unknown; sessionToken?: unknown };
      try {
        session = JSON.parse(url.searchParams.get('Session') ?? '') as typeof session;
      } catch {
        return reply(400, { error: 'Session must be JSON' });
      }
      // Like AWS: only temporary (assumed-role) credentials can sign in to the console.
      if (typeof session.sessionId !== 'string' || !session.sessionId.startsWith('ASIA') || typeof session.sessionKey !== 'string' || typeof session.sessionToken !== 'string') {
        return reply(400, { error: 'Session needs temporary credentials (sessionId, sessionKey, sessionToken)' });
      }
      return reply(200, { SigninToken: randomBytes(48).toString('base64url') });
    }
    case 'login': {
      if (!url.searchParams.get('SigninToken')) return reply(400, { error: 'SigninToken is required' });
      res.writeHead(302, { location: url.searchParams.get('Destination') ?? 'https://console.aws.amazon.com/' });
      return void res.end();
    }
    default:
      return reply(400, { error: 'Action must be getSigninToken or login' });
  }
}
