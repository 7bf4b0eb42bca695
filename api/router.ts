// A small method + path router: each api area registers its routes (api/routes/<area>.ts), so a new
// runbook kind adds one file instead of growing a switch. Paths use `:name` segments.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export type RouteHandler = (c: RouteContext) => Promise<void>;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: 'GET' | 'POST', path: string, handler: RouteHandler): this {
    this.routes.push({ method, segments: path.split('/').filter(Boolean), handler });
    return this;
  }

  /** The handler and its parameters, or undefined when no route matches. Literal segments win
   * over parameters (`/v1/breakglass/requests` before `/v1/breakglass/:id`). */
  match(method: string, pathname: string): { handler: RouteHandler; params: Record<string, string> } | undefined {
    const parts = pathname.split('/').filter(Boolean);
    let best: { handler: RouteHandler; params: Record<string, string>; literals: number } | undefined;
    for (const r of this.routes) {
      if (r.method !== method || r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let literals = 0;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = r.segments[i]!;
        let part: string;
        try {
          part = decodeURIComponent(parts[i]!);
        } catch {
          ok = false;
          break;
        }
        if (seg.startsWith(':')) params[seg.slice(1)] = part;
        else if (seg === part) literals++;
        else ok = false;
      }
      if (ok && (!best || literals > best.literals)) best = { handler: r.handler, params, literals };
    }
    return best && { handler: best.handler, params: best.params };
  }
}
