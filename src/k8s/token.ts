/**
 * Token requests (the TokenRequest API) and the lifetime rules kubectl's
 * `create token --duration` enforces before anything is sent.
 */
import { UsageError, UserError } from '../errors.js';
import type { KubeClients } from './client.js';
import { describeApiError } from './errors.js';
import type { AccountRef } from './objects.js';

/** The API rejects shorter tokens; kubectl checks this too. */
export const minTokenSeconds = 600;

/** expirationSeconds is an int64 on the wire, but the API caps it at 2^32. */
export const maxTokenSeconds = 2 ** 32 - 1;

/** What to ask for; unset duration means the server's default. */
export interface TokenSpec {
  durationSeconds?: number;
  audiences: string[];
  /** The object the token lives and dies with (a Secret, for --revocable). */
  boundObjectRef?: { kind: string; apiVersion: string; name: string; uid: string };
}

/** A token and the lifetime the server granted. */
export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Checks a --duration (in milliseconds) and returns whole seconds. */
export function tokenSeconds(ms: number, text: string): number {
  if (ms % 1000 !== 0) {
    throw new UsageError(`--duration ${text} must be a whole number of seconds`);
  }
  const seconds = ms / 1000;
  if (seconds < minTokenSeconds) {
    throw new UsageError(`--duration ${text} is too short: the minimum is 10m`);
  }
  if (seconds > maxTokenSeconds) {
    throw new UsageError(`--duration ${text} is too long: it must be below 2^32 seconds`);
  }
  return seconds;
}

/** Asks the API for a token of `account`. */
export async function requestToken(
  clients: KubeClients,
  account: AccountRef,
  spec: TokenSpec,
): Promise<IssuedToken> {
  let reply;
  try {
    reply = await clients.core.createNamespacedServiceAccountToken({
      name: account.name,
      namespace: account.namespace,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: spec.audiences,
          expirationSeconds: spec.durationSeconds,
          boundObjectRef: spec.boundObjectRef,
        },
      },
    });
  } catch (err) {
    const action = { verb: 'create', kind: 'serviceaccounts/token', ...account };
    throw describeApiError(err, action, clients.server);
  }
  const token = reply.status?.token;
  const expiresAt = reply.status?.expirationTimestamp;
  if (!token || !expiresAt) {
    throw new UserError(
      `the server answered the token request for "${account.name}" without a token`,
    );
  }
  return { token, expiresAt: new Date(expiresAt) };
}

/**
 * A warning when the server granted less than asked (it caps lifetimes:
 * --service-account-max-token-expiration, or 24h/48h on managed clusters).
 * A minute of slack absorbs clock skew and request latency.
 */
export function shortfallWarning(
  spec: TokenSpec,
  issued: IssuedToken,
  now: Date,
): string | undefined {
  if (spec.durationSeconds === undefined) return undefined;
  const granted = secondsUntil(issued.expiresAt, now);
  if (granted >= spec.durationSeconds - 60) return undefined;
  return (
    `the server granted a token for ${formatSeconds(granted)}, shorter than the` +
    ` ${formatSeconds(spec.durationSeconds)} asked for: it caps token lifetimes` +
    ' (rotate the kubeconfig before it expires)'
  );
}

/**
 * Seconds from `now` to `when`, in whole minutes past ten minutes: request
 * latency would make a 24h token read as 23h59m59s.
 */
export function secondsUntil(when: Date, now: Date): number {
  const seconds = (when.getTime() - now.getTime()) / 1000;
  return seconds >= 600 ? Math.round(seconds / 60) * 60 : Math.max(0, Math.round(seconds));
}

/** "24h", "1h30m", "45m10s": Go's style without zero units. */
export function formatSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [h ? `${h}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('');
  return parts || '0s';
}
