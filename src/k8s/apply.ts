/**
 * Reads, applies (server-side apply) and deletes the kinds in objects.ts
 * through the typed clients, so no discovery round trip is needed.
 */
import { PatchStrategy, setHeaderOptions } from './api.js';

import type { KubeClients } from './client.js';
import { describeApiError, isForbidden, isNotFound } from './errors.js';
import { type Kind, type Manifest, manager } from './objects.js';

/** The parts of an object this tool looks at after reading it. */
export interface LiveObject {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: { [key: string]: string };
    annotations?: { [key: string]: string };
    uid?: string;
    creationTimestamp?: Date;
  };
}

/** What an apply did, in kubectl's words. */
export type Outcome = 'created' | 'configured' | 'unchanged';

/** Where an object lives: enough to read or delete it. */
export interface ObjectKey {
  kind: Kind;
  name: string;
  namespace?: string;
}

/** Server dry run: the API checks and admits but stores nothing. */
export interface WriteOptions {
  dryRun?: boolean;
}

const applyOptions = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

/** Reads an object; undefined when it does not exist. */
export async function readObject(
  clients: KubeClients,
  key: ObjectKey,
): Promise<LiveObject | undefined> {
  try {
    return await readCall(clients, key);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw describeApiError(err, { verb: 'get', ...actionOf(key) }, clients.server);
  }
}

/** What an apply did, and the object as the server returned it. */
export interface ApplyResult {
  outcome: Outcome;
  object: LiveObject;
}

/**
 * Whether an object exists, for checks the caller may not be allowed to
 * make: a namespace admin cannot read ClusterRoles, yet may bind one in
 * its namespace (the binding's own apply then decides).
 */
export async function probeObject(
  clients: KubeClients,
  key: ObjectKey,
): Promise<'exists' | 'missing' | 'unknown'> {
  try {
    await readCall(clients, key);
    return 'exists';
  } catch (err) {
    if (isNotFound(err)) return 'missing';
    if (isForbidden(err)) return 'unknown';
    throw describeApiError(err, { verb: 'get', ...actionOf(key) }, clients.server);
  }
}

/**
 * Applies `manifest` and tells what changed, by comparing the fields this
 * tool sets; that also works for a server dry run, which stores nothing.
 */
export async function applyObject(
  clients: KubeClients,
  manifest: Manifest,
  before: LiveObject | undefined,
  opts: WriteOptions = {},
): Promise<ApplyResult> {
  const key = keyOf(manifest);
  let after: LiveObject;
  try {
    after = await patchCall(clients, key, manifest, opts);
  } catch (err) {
    throw describeApiError(err, { verb: 'apply', ...actionOf(key) }, clients.server);
  }
  if (!before) return { outcome: 'created', object: after };
  const same = fingerprint(after) === fingerprint(before);
  return { outcome: same ? 'unchanged' : 'configured', object: after };
}

/** The fields a change of this tool's flags can touch. */
function fingerprint(o: LiveObject): string {
  const x = o as LiveObject & { rules?: unknown; roleRef?: unknown; subjects?: unknown };
  return JSON.stringify([
    sorted(o.metadata?.labels),
    sorted(o.metadata?.annotations),
    x.rules,
    x.roleRef,
    x.subjects,
  ]);
}

function sorted(map: Record<string, string> | undefined): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

/** Deletes an object; false when it was already gone. */
export async function deleteObject(
  clients: KubeClients,
  key: ObjectKey,
  opts: WriteOptions = {},
): Promise<boolean> {
  try {
    await deleteCall(clients, key, opts);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw describeApiError(err, { verb: 'delete', ...actionOf(key) }, clients.server);
  }
}

/** The key of a manifest. */
export function keyOf(m: Manifest): ObjectKey {
  return { kind: m.kind, name: m.metadata.name, namespace: m.metadata.namespace };
}

function actionOf(key: ObjectKey): { kind: string; name: string; namespace?: string } {
  return { kind: key.kind.toLowerCase(), name: key.name, namespace: key.namespace };
}

function readCall(c: KubeClients, key: ObjectKey): Promise<LiveObject> {
  const { name } = key;
  const namespace = key.namespace ?? '';
  switch (key.kind) {
    case 'Namespace':
      return c.core.readNamespace({ name });
    case 'ServiceAccount':
      return c.core.readNamespacedServiceAccount({ name, namespace });
    case 'Secret':
      return c.core.readNamespacedSecret({ name, namespace });
    case 'Role':
      return c.rbac.readNamespacedRole({ name, namespace });
    case 'ClusterRole':
      return c.rbac.readClusterRole({ name });
    case 'RoleBinding':
      return c.rbac.readNamespacedRoleBinding({ name, namespace });
    case 'ClusterRoleBinding':
      return c.rbac.readClusterRoleBinding({ name });
  }
}

function patchCall(
  c: KubeClients,
  key: ObjectKey,
  body: Manifest,
  opts: WriteOptions,
): Promise<LiveObject> {
  const { name } = key;
  const namespace = key.namespace ?? '';
  const params = { name, body, fieldManager: manager, force: true, dryRun: dryRunOf(opts) };
  switch (key.kind) {
    case 'Namespace':
      return c.core.patchNamespace(params, applyOptions);
    case 'ServiceAccount':
      return c.core.patchNamespacedServiceAccount({ ...params, namespace }, applyOptions);
    case 'Secret':
      return c.core.patchNamespacedSecret({ ...params, namespace }, applyOptions);
    case 'Role':
      return c.rbac.patchNamespacedRole({ ...params, namespace }, applyOptions);
    case 'ClusterRole':
      return c.rbac.patchClusterRole(params, applyOptions);
    case 'RoleBinding':
      return c.rbac.patchNamespacedRoleBinding({ ...params, namespace }, applyOptions);
    case 'ClusterRoleBinding':
      return c.rbac.patchClusterRoleBinding(params, applyOptions);
  }
}

function deleteCall(c: KubeClients, key: ObjectKey, opts: WriteOptions): Promise<unknown> {
  const { name } = key;
  const namespace = key.namespace ?? '';
  const dryRun = dryRunOf(opts);
  switch (key.kind) {
    case 'Namespace':
      return c.core.deleteNamespace({ name, dryRun });
    case 'ServiceAccount':
      return c.core.deleteNamespacedServiceAccount({ name, namespace, dryRun });
    case 'Secret':
      return c.core.deleteNamespacedSecret({ name, namespace, dryRun });
    case 'Role':
      return c.rbac.deleteNamespacedRole({ name, namespace, dryRun });
    case 'ClusterRole':
      return c.rbac.deleteClusterRole({ name, dryRun });
    case 'RoleBinding':
      return c.rbac.deleteNamespacedRoleBinding({ name, namespace, dryRun });
    case 'ClusterRoleBinding':
      return c.rbac.deleteClusterRoleBinding({ name, dryRun });
  }
}

function dryRunOf(opts: WriteOptions): string | undefined {
  return opts.dryRun ? 'All' : undefined;
}

/** Kinds that can be listed by label. */
export type ListKind = Exclude<Kind, 'Namespace'>;

/** Lists what this tool made for an account, of one kind, by label. */
export async function listManaged(
  clients: KubeClients,
  kind: ListKind,
  selector: string,
  namespace: string,
): Promise<ObjectKey[]> {
  const items = await listObjects(clients, kind, selector, namespace);
  return items.map((item) => ({
    kind,
    name: item.metadata?.name ?? '',
    namespace: item.metadata?.namespace,
  }));
}

/**
 * Lists objects of `kind` matching `selector`; namespace "" lists every
 * namespace (namespaced kinds) or is ignored (cluster-scoped kinds).
 */
export async function listObjects<T extends LiveObject = LiveObject>(
  clients: KubeClients,
  kind: ListKind,
  selector: string,
  namespace: string,
): Promise<T[]> {
  try {
    return (await listCall(clients, kind, selector, namespace)).items as T[];
  } catch (err) {
    const action = { verb: 'list', kind: kind.toLowerCase(), namespace: namespace || undefined };
    throw describeApiError(err, action, clients.server);
  }
}

function listCall(
  c: KubeClients,
  kind: ListKind,
  labelSelector: string,
  namespace: string,
): Promise<{ items: LiveObject[] }> {
  const all = namespace === '';
  switch (kind) {
    case 'ServiceAccount':
      return all
        ? c.core.listServiceAccountForAllNamespaces({ labelSelector })
        : c.core.listNamespacedServiceAccount({ namespace, labelSelector });
    case 'Secret':
      return all
        ? c.core.listSecretForAllNamespaces({ labelSelector })
        : c.core.listNamespacedSecret({ namespace, labelSelector });
    case 'Role':
      return all
        ? c.rbac.listRoleForAllNamespaces({ labelSelector })
        : c.rbac.listNamespacedRole({ namespace, labelSelector });
    case 'ClusterRole':
      return c.rbac.listClusterRole({ labelSelector });
    case 'RoleBinding':
      return all
        ? c.rbac.listRoleBindingForAllNamespaces({ labelSelector })
        : c.rbac.listNamespacedRoleBinding({ namespace, labelSelector });
    case 'ClusterRoleBinding':
      return c.rbac.listClusterRoleBinding({ labelSelector });
  }
}
