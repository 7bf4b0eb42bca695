// The api reads each request body once: the caller's identity header signs a hash of the exact body
// bytes (x-safeguard-request, docs/api-auth.md), and the route must then parse those same bytes —
// a request stream can be consumed only once.
import type { IncomingMessage } from 'node:http';
import { ApiError, readBody } from '../http';

export class RequestBodies {
  private readonly read = new WeakMap<IncomingMessage, Promise<Buffer>>();

  constructor(private readonly limitBytes: number) {}

  /** The raw body (empty when there is none); 413 BODY_TOO_LARGE over the limit. */
  raw(req: IncomingMessage): Promise<Buffer> {
    let body = this.read.get(req);
    if (!body) {
      body = readBody(req, this.limitBytes);
      this.read.set(req, body);
    }
    return body;
  }

  /** The body as JSON (`{}` when empty); 400 BAD_JSON when it is not JSON. */
  async json(req: IncomingMessage): Promise<unknown> {
    const raw = await this.raw(req);
    if (raw.length === 0) return {};
    try {
      return JSON.parse(raw.toString('utf8')) as unknown;
    } catch {
      throw new ApiError(400, 'BAD_JSON', 'request body is not valid JSON');
    }
  }
}
