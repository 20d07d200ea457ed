/**
 * The account and its access: what exists, what to apply, what to remove.
 * Shared by create (all of it) and rotate (the account checks).
 */
import { UserError, messageOf } from '../errors.js';
import {
  type LiveObject,
  type ObjectKey,
  listObjects,
  probeObject,
  readObject,
} from '../k8s/apply.js';
import type { KubeClients } from '../k8s/client.js';
import { mapResources } from '../k8s/discovery.js';
import { statusMessage } from '../k8s/errors.js';
import {
  type AccountRef,
  type Manifest,
  type RoleRef,
  accountSelector,
  bindingManifest,
  describeObject,
  labelKeys,
  manager,
  namespaceManifest,
  rulesRoleManifest,
} from '../k8s/objects.js';
import { type RuleSpec, checkSpecialVerbs, hasRules, toPolicyRules } from '../k8s/rules.js';
import type { Logger } from '../log.js';
import { settle } from '../settle.js';
import type { Writer } from './writer.js';

/** What access to grant. */
export interface Grants {
  clusterRoles: string[];
  roles: string[];
  rules: RuleSpec;
  clusterWide: boolean;
}

/** Everything the access steps need. */
export interface AccessJob {
  clients: KubeClients;
  account: AccountRef;
  grants: Grants;
  createNamespace: boolean;
  writer: Writer;
  log: Logger;
}

/** A grant this tool made earlier, as the label list returned it. */
export interface ManagedGrant {
  key: ObjectKey;
  object: LiveObject;
}

/** What the first, read-only round of calls found. */
export interface Survey {
  namespace?: LiveObject;
  account?: LiveObject;
  missingRoles: string[];
  rulesManifest?: Manifest;
  /** Roles and bindings labelled for the account: the "before" of each apply. */
  managed: ManagedGrant[];
}

/** Reads everything the plan depends on, all at once. */
export async function surveyCluster(job: AccessJob): Promise<Survey> {
  const { clients, account, grants } = job;
  const roleChecks: ObjectKey[] = [
    ...grants.clusterRoles.map((name) => ({ kind: 'ClusterRole' as const, name })),
    ...grants.roles.map((name) => ({ kind: 'Role' as const, name, namespace: account.namespace })),
  ];
  const nsKey = { kind: 'Namespace' as const, name: account.namespace };
  const [namespace, sa, roles, rulesManifest, managed] = await settle([
    job.createNamespace ? readObject(clients, nsKey) : Promise.resolve(undefined),
    readObject(clients, { kind: 'ServiceAccount', ...account }),
    settle(roleChecks.map((key) => probeObject(clients, key))),
    buildRulesRole(job),
    listGrants(job),
  ]);
  const missingRoles = roleChecks
    .filter((_, i) => roles[i] === 'missing')
    .map((key) =>
      key.kind === 'Role' ? `role "${account.namespace}/${key.name}"` : `clusterrole "${key.name}"`,
    );
  return { namespace, account: sa, missingRoles, rulesManifest, managed };
}

/** Stops before any write when a referenced role is missing. */
export function checkSurvey(job: AccessJob, survey: Survey): void {
  if (survey.missingRoles.length === 0) return;
  throw new UserError(
    `cannot grant access to "${job.account.namespace}/${job.account.name}":` +
      ` ${survey.missingRoles.join(', ')} not found` +
      ' (check the name with `kubectl get clusterroles` or `kubectl get roles -n NAMESPACE`)',
  );
}

async function buildRulesRole(job: AccessJob): Promise<Manifest | undefined> {
  const { rules, clusterWide } = job.grants;
  if (!hasRules(rules)) return undefined;
  const mapped = await mapResources(job.clients, rules.resources);
  checkSpecialVerbs(rules.verbs, mapped);
  return rulesRoleManifest(job.account, toPolicyRules(rules, mapped), clusterWide);
}

/**
 * Cluster-scoped grants are listed only when the caller may: a namespace
 * admin cannot list ClusterRoleBindings, and has made none.
 */
async function listGrants(job: AccessJob): Promise<ManagedGrant[]> {
  const { clients, account } = job;
  const selector = accountSelector(account);
  const list = (kind: GrantKind, namespace: string) =>
    listObjects(clients, kind, selector, namespace).then((items) =>
      items.map((object) => ({ key: keyOf(kind, object), object })),
    );
  const namespaced = settle([
    list('Role', account.namespace),
    list('RoleBinding', account.namespace),
  ]);
  const clusterScoped = settle([list('ClusterRole', ''), list('ClusterRoleBinding', '')]).catch(
    (err: unknown) => {
      if (job.grants.clusterWide) throw err;
      job.log.v(1, `not checking cluster-wide grants: ${messageOf(err)}`);
      return [[], []];
    },
  );
  const [own, cluster] = await settle([namespaced, clusterScoped]);
  return [...own, ...cluster].flat().filter((g) => g.key.name);
}

type GrantKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

function keyOf(kind: GrantKind, object: LiveObject): ObjectKey {
  return { kind, name: object.metadata?.name ?? '', namespace: object.metadata?.namespace };
}

/** Creates the namespace for --create-namespace; an existing one is left alone. */
export async function ensureNamespace(job: AccessJob, survey: Survey): Promise<void> {
  if (!job.createNamespace) return;
  const name = job.account.namespace;
  if (survey.namespace) {
    job.log.v(2, `${describeObject('Namespace', name)} exists`);
    return;
  }
  await job.writer.apply(namespaceManifest(name), undefined);
}

/** True when the account exists and this tool did not create it. */
export function isReused(survey: Survey): boolean {
  const labels = survey.account?.metadata?.labels ?? {};
  return survey.account !== undefined && labels[labelKeys.managedBy] !== manager;
}

/**
 * Applies the account. One this tool did not create is reused as it is:
 * never labelled, so `delete` will leave it alone.
 */
export async function ensureAccount(
  job: AccessJob,
  survey: Survey,
  manifest: Manifest,
): Promise<void> {
  if (isReused(survey)) {
    job.log.status(
      `${describeObject('ServiceAccount', job.account.name)} reused (it exists and` +
        ` ${manager} did not create it)`,
    );
    return;
  }
  try {
    await job.writer.apply(manifest, survey.account);
  } catch (err) {
    throw explainMissingNamespace(err, job.account.namespace);
  }
}

function explainMissingNamespace(err: unknown, namespace: string): unknown {
  const message = statusMessage((err as { cause?: unknown }).cause);
  if (!message || !/namespaces? "[^"]+" not found/.test(message)) return err;
  return new UserError(
    `namespace "${namespace}" does not exist (pass --create-namespace to create it)`,
    { cause: err },
  );
}

/** Applies the role, then the bindings, then removes grants no longer asked for. */
export async function grantAccess(job: AccessJob, survey: Survey): Promise<void> {
  const wanted = desiredGrants(job, survey);
  if (wanted.length === 0) return;
  const role = wanted.find((m) => m.kind === 'Role' || m.kind === 'ClusterRole');
  const bindings = wanted.filter((m) => m !== role);
  const before = (m: Manifest) => survey.managed.find((g) => sameObject(g.key, m))?.object;
  // Bind only once the role exists: the API checks a binding against the
  // rules of the role it names.
  if (role) await job.writer.apply(role, before(role));
  await settle(bindings.map((b) => job.writer.apply(b, before(b))));
  await pruneGrants(job, survey, wanted);
}

function desiredGrants(job: AccessJob, survey: Survey): Manifest[] {
  const { account } = job;
  const { clusterRoles, roles, clusterWide } = job.grants;
  const out: Manifest[] = [];
  const rulesRole = survey.rulesManifest;
  if (rulesRole) {
    const ref: RoleRef = { kind: rulesRole.kind as RoleRef['kind'], name: rulesRole.metadata.name };
    out.push(rulesRole, bindingManifest(account, ref, clusterWide));
  }
  for (const name of clusterRoles) {
    out.push(bindingManifest(account, { kind: 'ClusterRole', name }, clusterWide));
  }
  for (const name of roles) out.push(bindingManifest(account, { kind: 'Role', name }, false));
  return out;
}

/**
 * Says so when the run asked for no access. Called once the run succeeded,
 * so the note does not come before an error of the account step.
 */
export function reportNoGrants(job: AccessJob, survey: Survey): void {
  if (desiredGrants(job, survey).length > 0) return;
  const ref = `"${job.account.namespace}/${job.account.name}"`;
  if (survey.managed.length > 0) {
    job.log.status(
      `no access flags given: serviceaccount ${ref} keeps its ${survey.managed.length}` +
        ' existing grant object(s)',
    );
    return;
  }
  job.log.warn(
    `serviceaccount ${ref} has no permissions granted by this tool` +
      ' (pass --clusterrole, --role or --verb with --resource to grant some)',
  );
}

/** Objects labelled for this account that the new flags no longer ask for. */
async function pruneGrants(job: AccessJob, survey: Survey, wanted: Manifest[]): Promise<void> {
  const stale = survey.managed.filter((g) => !wanted.some((m) => sameObject(g.key, m)));
  await settle(stale.map((g) => job.writer.delete(g.key, '(no longer asked for)')));
}

function sameObject(key: ObjectKey, m: Manifest): boolean {
  return key.kind === m.kind && key.name === m.metadata.name;
}
