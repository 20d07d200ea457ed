/**
 * --verify: use the new kubeconfig itself, as automation will, to show who
 * it authenticates as and a short summary of what it may do.
 */
import { UserError, messageOf } from '../errors.js';
import type { KubeClients } from '../k8s/client.js';
import { ApiException } from '../k8s/api.js';
import { describeApiError, isForbidden, isNotFound } from '../k8s/errors.js';
import type { AccountRef } from '../k8s/objects.js';
import { type Deps, loadContext, openClients } from './deps.js';
import type { ResolvedConfig } from '../kubeconfig/types.js';

/** Who the new kubeconfig is, and how that was found out. */
export interface Identity {
  username: string;
  groups: string[];
  /** "SelfSubjectReview", "TokenReview" or "SelfSubjectAccessReview". */
  method: string;
}

interface UserInfo {
  username?: string;
  groups?: string[];
}

/** How many rules the summary names before "and N more". */
const summaryRules = 4;

/**
 * Checks the kubeconfig: the written file when there is one (so its every
 * field is exercised), else the same cluster entry with the new token.
 * `caller` is the caller's own connection, for the TokenReview fallback.
 */
export async function verifyCredential(
  source: { file?: string; config: ResolvedConfig; token: string; audiences: string[] },
  account: AccountRef,
  caller: KubeClients,
  deps: Deps,
): Promise<Identity> {
  const config = source.file
    ? await loadContext({ kubeconfig: source.file }, { ...deps, env: {} })
    : source.config;
  const clients = openClients(config, { token: source.token }, deps);
  try {
    const identity = await whoAmI(clients, caller, source.token);
    checkIdentity(identity, account);
    deps.log.status(
      `verified: the kubeconfig authenticates as ${identity.username} (${identity.method})`,
    );
    await summarizeAccess(clients, account, deps);
    return identity;
  } catch (err) {
    throw verificationFailed(err, source.audiences.length > 0, source.file);
  } finally {
    clients.close();
  }
}

/** SelfSubjectReview from 1.28 (beta 1.27); TokenReview or an access review before. */
async function whoAmI(clients: KubeClients, caller: KubeClients, token: string): Promise<Identity> {
  try {
    const review = await clients.authn.createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return identityOf(review.status?.userInfo, 'SelfSubjectReview');
  } catch (err) {
    // Before 1.27 the resource does not exist; RBAC answers 403 for it
    // before the API can answer 404.
    if (!isNotFound(err) && !isForbidden(err)) {
      throw describeApiError(err, reviewAction('selfsubjectreview'), clients.server);
    }
  }
  try {
    const review = await caller.authn.createTokenReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    if (!review.status?.authenticated) {
      throw new UserError(
        `the server does not accept the token: ${review.status?.error ?? 'not authenticated'}`,
      );
    }
    return identityOf(review.status.user, 'TokenReview');
  } catch (err) {
    if (err instanceof UserError) throw err;
  }
  // The caller may not create TokenReviews; any authenticated user may ask
  // an access review, which at least proves the token is accepted.
  await clients.authz
    .createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'get', resource: 'serviceaccounts' } } },
    })
    .catch((err: unknown) => {
      throw describeApiError(err, reviewAction('selfsubjectaccessreview'), clients.server);
    });
  return {
    username: '(accepted; this server cannot tell who)',
    groups: [],
    method: 'SelfSubjectAccessReview',
  };
}

/** Keeps summary lines within a terminal's width. */
function clip(line: string): string {
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}

function reviewAction(kind: string): { verb: string; kind: string } {
  return { verb: 'create', kind };
}

function identityOf(info: UserInfo | undefined, method: string): Identity {
  return { username: info?.username ?? '', groups: info?.groups ?? [], method };
}

function checkIdentity(identity: Identity, account: AccountRef): void {
  if (identity.method === 'SelfSubjectAccessReview') return;
  const expected = `system:serviceaccount:${account.namespace}:${account.name}`;
  if (identity.username !== expected) {
    throw new UserError(
      `the kubeconfig authenticates as "${identity.username}", not "${expected}"`,
    );
  }
}

/** A short can-i summary from SelfSubjectRulesReview in the account's namespace. */
async function summarizeAccess(
  clients: KubeClients,
  account: AccountRef,
  deps: Deps,
): Promise<void> {
  const rulesReview = await clients.authz
    .createSelfSubjectRulesReview({ body: { spec: { namespace: account.namespace } } })
    .catch((err: unknown) => {
      throw describeApiError(err, reviewAction('selfsubjectrulesreview'), clients.server);
    });
  const rules = (rulesReview.status?.resourceRules ?? []).filter(
    (r) => !(r.resources ?? []).some((res) => res.startsWith('selfsubject')),
  );
  if (rules.length === 0) {
    deps.log.status(
      `  can do nothing in namespace "${account.namespace}" beyond what every account may`,
    );
    return;
  }
  deps.log.status(
    `  can, in namespace "${account.namespace}" (kubectl auth can-i --list for all):`,
  );
  for (const r of rules.slice(0, summaryRules)) {
    const names = r.resourceNames?.length ? ` named ${r.resourceNames.join(',')}` : '';
    deps.log.status(clip(`    ${r.verbs.join(',')} ${(r.resources ?? []).join(',')}${names}`));
  }
  if (rules.length > summaryRules)
    deps.log.status(`    and ${rules.length - summaryRules} more rules`);
}

function verificationFailed(err: unknown, audiences: boolean, file?: string): UserError {
  // A 401 here is about the new token, not the caller's login.
  const refused = causeCode(err) === 401;
  const what = refused ? 'the server refused its token (401 Unauthorized)' : messageOf(err);
  const hints: string[] = [];
  if (audiences) {
    hints.push(
      'a token for another --audience is refused by the API server; pass --verify=false' +
        ' if it is meant for another service',
    );
  }
  if (file)
    hints.push(`"${file}" was written all the same: delete it, or pass --force when you run again`);
  const hint = hints.length > 0 ? ` (${hints.join('; ')})` : '';
  return new UserError(`the new kubeconfig does not work: ${what}${hint}`, { cause: err });
}

function causeCode(err: unknown): number | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApiException) return e.code;
  }
  return undefined;
}
