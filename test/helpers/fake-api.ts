/**
 * A fake API server at the HTTP boundary: client-node builds real requests,
 * this answers them from a table and records each one.
 */
import {
  type HttpLibrary,
  type RequestContext,
  ResponseContext,
  wrapHttpLibrary,
} from '../../src/k8s/api.js';

/** One request as the fake saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

/** A canned reply: status and JSON body. */
export interface Reply {
  status: number;
  body?: unknown;
}

/** Decides the reply for a request; undefined falls through to 404. */
export type Route = (req: SeenRequest) => Reply | undefined;

/** The fake: its HttpLibrary and what it saw. */
export interface FakeApi {
  httpApi: HttpLibrary;
  requests: SeenRequest[];
}

/** Builds a fake answering with the first route that replies. */
export function fakeApi(routes: Route[]): FakeApi {
  const requests: SeenRequest[] = [];
  const httpApi = wrapHttpLibrary({
    send: async (ctx: RequestContext) => {
      const req = toSeen(ctx);
      requests.push(req);
      const reply = routes.map((r) => r(req)).find((r) => r !== undefined) ?? notFound(req.path);
      const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      return new ResponseContext(
        reply.status,
        { 'content-type': 'application/json' },
        {
          text: async () => text,
          binary: async () => Buffer.from(text),
        },
      );
    },
  });
  return { httpApi, requests };
}

/** Matches "METHOD /path" exactly (query ignored). */
export function on(
  method: string,
  path: string,
  reply: Reply | ((r: SeenRequest) => Reply),
): Route {
  return (req) => {
    if (req.method !== method || req.path !== path) return undefined;
    return typeof reply === 'function' ? reply(req) : reply;
  };
}

/** A Status body as the API server sends with a refusal. */
export function status(code: number, reason: string, message: string): Reply {
  return {
    status: code,
    body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code },
  };
}

/** The 404 the API server gives for a missing object. */
export function notFound(path: string): Reply {
  return status(404, 'NotFound', `the server could not find ${path}`);
}

function toSeen(ctx: RequestContext): SeenRequest {
  const url = new URL(ctx.getUrl());
  const raw = ctx.getBody();
  let body: unknown = raw;
  if (typeof raw === 'string' && raw.length > 0) body = JSON.parse(raw);
  return {
    method: ctx.getHttpMethod().toString(),
    path: decodeURIComponent(url.pathname),
    query: url.searchParams,
    headers: ctx.getHeaders(),
    body,
  };
}
