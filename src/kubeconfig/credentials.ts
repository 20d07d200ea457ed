/**
 * Turning the chosen user into the plain credentials sent with every
 * request, with the precedence of client-go's transport:
 *
 * - a tokenFile that can be read wins over token (read now, whitespace
 *   trimmed); when it cannot be read, token is used if there is one;
 * - username/password and a client certificate with its key are used as
 *   given (resolve.ts already refused a token together with basic auth);
 * - the exec plugin runs only when none of those is present: that is how
 *   `kubectl --token=... ` skips a login plugin;
 * - a legacy auth-provider (gcp, azure, oidc) is refused, naming the exec
 *   plugin that replaces it.
 *
 * Every secret found is registered with the logger so no line can print it.
 */
import { readFile } from 'node:fs/promises';

import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { type ExecIo, runExecPlugin } from './exec.js';
import { quote } from './fields.js';
import { fsCause } from './files.js';
import type { Credentials, ResolvedConfig, ResolvedUser } from './types.js';

/** How exec plugins are started; tests pass a fake. */
export type { Spawner } from './exec.js';

/** What getCredentials needs from the process (spawn only for tests). */
export type CredentialsIo = ExecIo;

/** What replaces each auth-provider that current kubectl removed or we do not run. */
const AUTH_PROVIDER_FIXES: Record<string, string> = {
  gcp:
    'install gke-gcloud-auth-plugin and run gcloud container clusters get-credentials ' +
    'again, which switches the user to it',
  azure:
    'install kubelogin (https://github.com/Azure/kubelogin) and run kubelogin ' +
    'convert-kubeconfig, which switches the user to it',
  oidc: 'switch the user to the kubelogin exec plugin (https://github.com/int128/kubelogin)',
};

/** Resolves the user's token file or exec plugin into credentials. */
export async function getCredentials(
  resolved: ResolvedConfig,
  io: CredentialsIo,
): Promise<Credentials> {
  const user = resolved.user;
  if (user.authProvider) throw authProviderError(user);

  const credentials: Credentials = {};
  const token = await bearerToken(user, io.log);
  if (token !== undefined) credentials.token = token;
  if (user.username !== undefined) credentials.username = user.username;
  if (user.password !== undefined) credentials.password = user.password;
  if (user.clientCertificatePem !== undefined && user.clientKeyPem !== undefined) {
    credentials.clientCertificatePem = user.clientCertificatePem;
    credentials.clientKeyPem = user.clientKeyPem;
  }

  const held = heldCredential(credentials);
  if (user.exec && held) {
    io.log.v(
      1,
      `not running exec plugin ${quote(user.exec.command)} of user ${quote(user.name)}: ` +
        `the user already has ${held}`,
    );
  } else if (user.exec) {
    Object.assign(credentials, await runExecPlugin(user.name, user.exec, resolved.cluster, io));
  }

  for (const secret of [credentials.token, credentials.password, credentials.clientKeyPem]) {
    io.log.addSecret(secret);
  }
  return credentials;
}

/** What client-go counts as credentials already set, which makes it skip exec. */
function heldCredential(credentials: Credentials): string | undefined {
  if (credentials.token !== undefined) return 'a token';
  if (credentials.username !== undefined) return 'a username';
  if (credentials.clientCertificatePem !== undefined) return 'a client certificate';
  return undefined;
}

/** tokenFile (re-read each run, trimmed) over token, as client-go's transport does. */
async function bearerToken(user: ResolvedUser, log: Logger): Promise<string | undefined> {
  if (user.tokenFile === undefined) return user.token;
  const what = `tokenFile ${quote(user.tokenFile)} of user ${quote(user.name)}`;
  let problem: string;
  try {
    const token = (await readFile(user.tokenFile, 'utf8')).trim();
    if (token !== '') {
      log.addSecret(token);
      return token;
    }
    problem = `${what} is empty`;
  } catch (err) {
    problem = `failed to read ${what}: ${fsCause(err)}`;
  }
  if (user.token === undefined) throw new UserError(problem);
  log.v(1, `${problem}; using the user's token instead`);
  return user.token;
}

function authProviderError(user: ResolvedUser): UserError {
  const name = user.authProvider ?? '';
  const fix = AUTH_PROVIDER_FIXES[name] ?? 'switch the user to an exec credential plugin';
  return new UserError(
    `user ${quote(user.name)} uses the ${quote(name)} auth-provider, which ` +
      `kubectl sa-kubeconfig does not support (${fix})`,
  );
}
