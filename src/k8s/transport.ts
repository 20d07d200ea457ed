/**
 * The HTTP layer under client-node's generated API classes.
 *
 * client-node builds a new https.Agent for every request, drops
 * Impersonate-Group and Impersonate-Uid, ignores HTTPS_PROXY and refuses
 * http:// servers. Here one keep-alive agent serves the whole run, the
 * caller's identity and impersonation headers are set per request, and
 * -v 6 / -v 8 show requests with credentials redacted.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';

import type { HttpLibrary, RequestContext, SecurityAuthentication } from './api.js';
import { ResponseContext, wrapHttpLibrary } from './api.js';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import fetch, { Headers } from 'node-fetch';
import { getProxyForUrl } from 'proxy-from-env';
import { SocksProxyAgent } from 'socks-proxy-agent';

import type { Logger } from '../log.js';
import type { Credentials, Impersonation, ResolvedCluster } from '../kubeconfig/types.js';
import { redactBody } from './redact.js';

/** A header whose value is repeated on the wire (Impersonate-Group). */
const multiValueSeparator = '\u0000';

/** Everything one run needs to reach the API server as the caller. */
export interface TransportOptions {
  cluster: ResolvedCluster;
  credentials: Credentials;
  impersonate?: Impersonation;
  requestTimeoutMs: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

/** The agent and auth hook that client-node's Configuration takes. */
export interface Transport {
  httpApi: HttpLibrary;
  auth: SecurityAuthentication;
  close(): void;
}

/** Builds the shared agent, the auth hook and the logging HTTP library. */
export function createTransport(opts: TransportOptions): Transport {
  const agent = createAgent(opts);
  // The header value, too: a server or proxy may echo it in an error.
  opts.log.addSecret(basicAuth(opts.credentials));
  const auth: SecurityAuthentication = {
    getName: () => 'kubeconfig',
    applySecurityAuthentication: (ctx) => {
      applyCredentials(ctx, opts.credentials, opts.impersonate);
      ctx.setAgent(agent);
    },
  };
  const httpApi = wrapHttpLibrary({ send: (ctx) => send(ctx, opts) });
  return { httpApi, auth, close: () => agent.destroy() };
}

function createAgent(opts: TransportOptions): http.Agent {
  const { cluster, credentials } = opts;
  const tls: https.AgentOptions = {
    keepAlive: true,
    // No maxSockets: with requests queued for a busy socket, node-fetch 2
    // reports a false "Premature close" on the socket's next response
    // (node-fetch issue 1767); seen here in discovery, which sends ~20 at once.
    ca: cluster.certificateAuthorityPem,
    cert: credentials.clientCertificatePem,
    key: credentials.clientKeyPem,
    servername: cluster.tlsServerName,
    rejectUnauthorized: !cluster.insecureSkipTlsVerify,
  };
  const proxy = proxyFor(cluster, opts.env);
  const secure = cluster.server.startsWith('https:');
  if (proxy) opts.log.v(4, `using proxy ${redactUrl(proxy)}`);
  if (proxy?.startsWith('socks')) return new SocksProxyAgent(proxy, tls);
  if (proxy && secure) return new HttpsProxyAgent({ ...tls, proxy });
  if (proxy) return new HttpProxyAgent({ keepAlive: true, proxy });
  return secure ? new GuardedAgent(tls) : new http.Agent({ keepAlive: true });
}

/** kubectl's limits: 30s to connect, then 10s for the TLS handshake. */
const connectTimeoutMs = 30_000;
const handshakeTimeoutMs = 10_000;

/**
 * An agent whose connections give up like kubectl's, even without
 * --request-timeout: a server that accepts TCP and never answers TLS
 * would otherwise hang the run for ever.
 */
class GuardedAgent extends https.Agent {
  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex {
    // https.Agent's own createConnection is tls.connect; it returns the socket.
    const socket = super.createConnection(options, callback) as tls.TLSSocket;
    const fail = (what: string) => () => socket.destroy(new Error(what));
    let timer = setTimeout(
      fail(`no connection within ${connectTimeoutMs / 1000}s`),
      connectTimeoutMs,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      timer = setTimeout(
        fail(`TLS handshake timeout after ${handshakeTimeoutMs / 1000}s`),
        handshakeTimeoutMs,
      );
    });
    socket.once('secureConnect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
    return socket;
  }
}

/**
 * proxy-url wins; without it the environment is read as Go's net/http does
 * (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), and loopback is never proxied.
 */
function proxyFor(cluster: ResolvedCluster, env: NodeJS.ProcessEnv): string | undefined {
  if (cluster.proxyUrl) return cluster.proxyUrl;
  const host = new URL(cluster.server).hostname;
  if (host === 'localhost' || host.startsWith('127.') || host === '[::1]') return undefined;
  const proxy = withEnv(env, () => getProxyForUrl(cluster.server));
  return proxy || undefined;
}

/** proxy-from-env reads process.env; point it at the env we were given. */
function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => T): T {
  if (env === process.env) return fn();
  const saved = process.env;
  process.env = env;
  try {
    return fn();
  } finally {
    process.env = saved;
  }
}

function applyCredentials(
  ctx: RequestContext,
  creds: Credentials,
  impersonate: Impersonation | undefined,
): void {
  const basic = basicAuth(creds);
  if (creds.token) ctx.setHeaderParam('Authorization', `Bearer ${creds.token}`);
  else if (basic) ctx.setHeaderParam('Authorization', `Basic ${basic}`);
  if (!impersonate?.user) return;
  ctx.setHeaderParam('Impersonate-User', impersonate.user);
  if (impersonate.groups.length > 0) {
    ctx.setHeaderParam('Impersonate-Group', impersonate.groups.join(multiValueSeparator));
  }
  if (impersonate.uid) ctx.setHeaderParam('Impersonate-Uid', impersonate.uid);
  for (const [key, values] of Object.entries(impersonate.extra)) {
    const name = `Impersonate-Extra-${encodeURIComponent(key)}`;
    ctx.setHeaderParam(name, values.join(multiValueSeparator));
  }
}

function basicAuth(creds: Credentials): string | undefined {
  if (creds.token || creds.username === undefined) return undefined;
  return Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64');
}

/** client-go's rule, kept short for a CLI: a few retries, each wait capped. */
const maxRetries = 5;
const maxRetryWaitSeconds = 10;

async function send(ctx: RequestContext, opts: TransportOptions): Promise<ResponseContext> {
  const { log } = opts;
  const method = ctx.getHttpMethod().toString();
  const url = ctx.getUrl();
  const body = ctx.getBody();
  if (typeof body === 'string') log.v(8, () => `request body: ${redactBody(body)}`);
  for (let attempt = 0; ; attempt++) {
    log.v(6, `${method} ${url}`);
    const started = Date.now();
    const signal =
      opts.requestTimeoutMs > 0 ? AbortSignal.timeout(opts.requestTimeoutMs) : undefined;
    const resp = await fetch(url, {
      method,
      body: body as string | undefined,
      headers: toHeaders(ctx.getHeaders()),
      agent: ctx.getAgent() as http.Agent,
      signal: signal as never,
    });
    const text = await resp.text();
    log.v(6, `${method} ${url} ${resp.status} in ${Date.now() - started} ms`);
    const wait =
      attempt < maxRetries ? retryAfter(resp.status, resp.headers.get('retry-after')) : undefined;
    if (wait !== undefined) {
      log.v(4, `the server asked to retry in ${wait}s (HTTP ${resp.status})`);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      continue;
    }
    log.v(8, () => `response body: ${redactBody(text)}`);
    return responseOf(resp.status, resp.headers, text);
  }
}

/**
 * Seconds to wait before sending again, as client-go does: only when the
 * server said, with Retry-After on a 429 or a 5xx, that the request was
 * not processed and may be sent again.
 */
export function retryAfter(status: number, header: string | null): number | undefined {
  if (status !== 429 && (status < 500 || status > 599)) return undefined;
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Math.min(Number(header.trim()), maxRetryWaitSeconds);
}

function responseOf(status: number, raw: Headers, text: string): ResponseContext {
  const headers: Record<string, string> = {};
  raw.forEach((value, name) => (headers[name] = value));
  return new ResponseContext(status, headers, {
    text: async () => text,
    binary: async () => Buffer.from(text),
  });
}

function toHeaders(raw: Record<string, string>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const part of value.split(multiValueSeparator)) headers.append(name, part);
  }
  return headers;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '<unparsable proxy url>';
  }
}
