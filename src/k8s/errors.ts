/**
 * Turns what client-node throws into one message the user can act on.
 *
 * API refusals arrive as ApiException with the Status JSON as text; network
 * and TLS failures as node-fetch errors carrying a system `code`.
 */
import { ApiException } from './api.js';

import { UserError } from '../errors.js';

/** What the failed call tried to do, in kubectl's words. */
export interface Action {
  /** "create", "get", "patch", "delete", ... */
  verb: string;
  /** "serviceaccount", "rolebinding", ... */
  kind: string;
  name?: string;
  namespace?: string;
}

interface Status {
  message?: string;
  reason?: string;
}

const tlsCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** True when `err` is the API's 404 for the object asked for. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

/** True when the API refused the call (403). */
export function isForbidden(err: unknown): boolean {
  return err instanceof ApiException && err.code === 403;
}

/** The Status message the API server sent with a refusal, if any. */
export function statusMessage(err: unknown): string | undefined {
  if (!(err instanceof ApiException)) return undefined;
  return parseStatus(err.body).message;
}

/** Builds the message for a failed call to `server`. */
export function describeApiError(err: unknown, action: Action, server: string): UserError {
  if (err instanceof UserError) return err;
  if (err instanceof ApiException) return describeStatus(err, action);
  return describeTransport(err, action, server);
}

function describeStatus(err: ApiException<unknown>, action: Action): UserError {
  const status = parseStatus(err.body);
  const what = `failed to ${action.verb} ${objectRef(action)}`;
  const detail = status.message ?? `HTTP ${err.code}`;
  switch (err.code) {
    case 401:
      return new UserError(
        `${what}: the server rejected the credentials (401 Unauthorized)` +
          ' (log in again, or check the user of the kubeconfig context)',
        { cause: err },
      );
    case 403:
      return new UserError(`${what}: ${detail}${forbiddenHint(detail, action)}`, { cause: err });
    default:
      return new UserError(`${what}: ${detail}`, { cause: err });
  }
}

function forbiddenHint(detail: string, action: Action): string {
  if (/attempting to grant RBAC permissions not currently held/.test(detail)) {
    return (
      '\n(RBAC lets you grant only permissions you hold yourself: ask a cluster admin to' +
      ' grant you those rules, or the "escalate" verb on roles)'
    );
  }
  if (/cannot bind|not allowed to bind/i.test(detail) || /bind/.test(action.verb)) {
    return (
      '\n(to bind a role you must hold all its permissions, or the "bind" verb on it:' +
      ' ask a cluster admin)'
    );
  }
  const where = action.namespace ? ` in namespace "${action.namespace}"` : ' cluster-wide';
  const what = `${action.verb} ${plural(action.kind)}${where}`;
  return ` (you need permission to ${what}: ask a cluster admin)`;
}

function describeTransport(err: unknown, action: Action, server: string): UserError {
  const code = errorCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  if (isAbort(err)) {
    return new UserError(
      `failed to ${action.verb} ${objectRef(action)}: no answer from ${server} in time` +
        ' (raise --request-timeout, or check the server)',
      { cause: err },
    );
  }
  if (!code && (err instanceof SyntaxError || /cannot parse|json/i.test(reason))) {
    return new UserError(
      `failed to ${action.verb} ${objectRef(action)}: the answer of ${server} could not be read` +
        ` (${reason}): is it a Kubernetes API server?`,
      { cause: err },
    );
  }
  if (code && tlsCodes.has(code)) {
    return new UserError(
      `failed to verify the TLS certificate of ${server}: ${stripPrefix(reason)}` +
        ' (check the certificate-authority and tls-server-name of the kubeconfig cluster)',
      { cause: err },
    );
  }
  return new UserError(
    `failed to connect to ${server}: ${stripPrefix(reason)}` +
      ' (check that the cluster is running and that the server address is right)',
    { cause: err },
  );
}

/** "rolebinding" -> "rolebindings"; "serviceaccounts/token" stays as it is. */
function plural(kind: string): string {
  return kind.includes('/') || kind.endsWith('s') ? kind : `${kind}s`;
}

function objectRef(action: Action): string {
  if (!action.name) return plural(action.kind);
  const ns = action.namespace ? `${action.namespace}/` : '';
  return `${action.kind} "${ns}${action.name}"`;
}

function parseStatus(body: unknown): Status {
  if (typeof body === 'object' && body !== null) return body as Status;
  if (typeof body !== 'string') return {};
  try {
    return JSON.parse(body) as Status;
  } catch {
    return body.trim() ? { message: body.trim().slice(0, 300) } : {};
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: unknown }).cause;
  if (typeof code === 'string') return code;
  return cause ? errorCode(cause) : undefined;
}

function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** node-fetch prefixes "request to URL failed, reason: "; the URL is shown already. */
function stripPrefix(message: string): string {
  return message.replace(/^request to \S+ failed, reason: /, '');
}
