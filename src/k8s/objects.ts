/**
 * The manifests this tool applies, and the names and labels it gives them.
 *
 * Every object carries the managed-by label plus the account it serves, so
 * later runs (and `delete`, `list`) find exactly what this tool made.
 */
import type { PolicyRule } from './rules.js';

/** The field manager for server-side apply, and the managed-by value. */
export const manager = 'kubectl-sa-kubeconfig';

/** Label keys; the prefix is this tool's name, a valid DNS label. */
export const labelKeys = {
  managedBy: 'app.kubernetes.io/managed-by',
  account: 'kubectl-sa-kubeconfig/serviceaccount',
  accountNamespace: 'kubectl-sa-kubeconfig/namespace',
  /** On token Secrets: "revocable" or "legacy". */
  tokenKind: 'kubectl-sa-kubeconfig/token-kind',
} as const;

/**
 * Annotation keys. On the ServiceAccount they record the token settings of
 * `create`, so `rotate` can repeat them; on a revocable token's Secret,
 * when the token expires (the server keeps no record of that).
 */
export const annotationKeys = {
  tokenKind: 'kubectl-sa-kubeconfig/token-kind',
  tokenDuration: 'kubectl-sa-kubeconfig/token-duration',
  tokenAudiences: 'kubectl-sa-kubeconfig/token-audiences',
  expires: 'kubectl-sa-kubeconfig/expires',
} as const;

/** How the account's tokens are made: TokenRequest, bound to a Secret, or legacy. */
export type TokenKind = 'bound' | 'revocable' | 'legacy';

/** The ServiceAccount the objects are for. */
export interface AccountRef {
  name: string;
  namespace: string;
}

/** A role that a binding points at. */
export interface RoleRef {
  kind: 'Role' | 'ClusterRole';
  name: string;
}

/** The kinds this tool writes. */
export type Kind =
  | 'Namespace'
  | 'ServiceAccount'
  | 'Secret'
  | 'Role'
  | 'ClusterRole'
  | 'RoleBinding'
  | 'ClusterRoleBinding';

/** An object to apply; `namespace` unset for cluster-scoped kinds. */
export interface Manifest {
  apiVersion: string;
  kind: Kind;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  rules?: PolicyRule[];
  type?: string;
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

const rbacVersion = 'rbac.authorization.k8s.io/v1';

/** The labels of every object made for `account`. */
export function accountLabels(account: AccountRef): Record<string, string> {
  return {
    [labelKeys.managedBy]: manager,
    [labelKeys.account]: account.name,
    [labelKeys.accountNamespace]: account.namespace,
  };
}

/** Selects what this tool made for `account`. */
export function accountSelector(account: AccountRef): string {
  return Object.entries(accountLabels(account))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A Namespace made by --create-namespace. */
export function namespaceManifest(name: string): Manifest {
  const labels = { [labelKeys.managedBy]: manager };
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** The ServiceAccount itself. */
export function serviceAccountManifest(account: AccountRef): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: account.name, namespace: account.namespace, labels: accountLabels(account) },
  };
}

/** The Role (or ClusterRole, cluster-wide) that holds --verb/--resource rules. */
export function rulesRoleManifest(
  account: AccountRef,
  rules: PolicyRule[],
  clusterWide: boolean,
): Manifest {
  const kind = clusterWide ? 'ClusterRole' : 'Role';
  return {
    apiVersion: rbacVersion,
    kind,
    metadata: metadataFor(account, rulesRoleName(account, clusterWide), clusterWide),
    rules,
  };
}

/** The name of the role made from --verb/--resource rules. */
export function rulesRoleName(account: AccountRef, clusterWide: boolean): string {
  return clusterWide
    ? `sa-kubeconfig:${account.namespace}:${account.name}`
    : `sa-kubeconfig:${account.name}`;
}

/**
 * A binding of `role` to the account. Names hold the role kind, so a Role
 * and a ClusterRole of the same name get different bindings, and the
 * namespace when cluster-wide, since account names repeat across namespaces.
 */
export function bindingManifest(
  account: AccountRef,
  role: RoleRef,
  clusterWide: boolean,
): Manifest {
  const kind = clusterWide ? 'ClusterRoleBinding' : 'RoleBinding';
  return {
    apiVersion: rbacVersion,
    kind,
    metadata: metadataFor(account, bindingName(account, role, clusterWide), clusterWide),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.name },
    subjects: [{ kind: 'ServiceAccount', name: account.name, namespace: account.namespace }],
  };
}

function bindingName(account: AccountRef, role: RoleRef, clusterWide: boolean): string {
  const owner = clusterWide ? `${account.namespace}:${account.name}` : account.name;
  if (role.name.startsWith('sa-kubeconfig:')) return role.name;
  return `sa-kubeconfig:${owner}:${role.kind.toLowerCase()}:${role.name}`;
}

function metadataFor(
  account: AccountRef,
  name: string,
  clusterWide: boolean,
): Manifest['metadata'] {
  const labels = accountLabels(account);
  return clusterWide ? { name, labels } : { name, namespace: account.namespace, labels };
}

/** kubectl's wording, "rolebinding.rbac.authorization.k8s.io/NAME", for status lines. */
export function describeObject(kind: Kind, name: string): string {
  const core = kind === 'Namespace' || kind === 'ServiceAccount' || kind === 'Secret';
  const group = core ? '' : '.rbac.authorization.k8s.io';
  return `${kind.toLowerCase()}${group}/${name}`;
}
