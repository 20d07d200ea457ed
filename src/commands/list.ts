/**
 * `kubectl sa-kubeconfig list`: the accounts this tool manages, with their
 * grants, token kind and the expiry of the newest token where known.
 *
 * Unlike the other commands, list's stdout is its data: a kubectl-style
 * table, or a stable JSON or YAML document.
 */
import { stringify } from 'yaml';

import { UsageError, messageOf } from '../errors.js';
import { type LiveObject, listObjects } from '../k8s/apply.js';
import type { KubeClients } from '../k8s/client.js';
import { type TokenKind, annotationKeys, labelKeys, manager } from '../k8s/objects.js';
import type { ConnectionFlags } from '../kubeconfig/types.js';
import { printToStdout } from '../kubeconfig/write.js';
import { validateName } from '../names.js';
import { type Deps, connect, loadContext } from './deps.js';

/** The list command's flags; validateList checks them. */
export interface ListOptions {
  connection: ConnectionFlags;
  /** -A: every namespace; the namespace flag is then ignored, as kubectl does. */
  allNamespaces: boolean;
  /** "table" (the default), "wide", "json" or "yaml". */
  output: string;
}

/** One role an account is bound to. */
export interface Grant {
  kind: 'Role' | 'ClusterRole';
  name: string;
  /** True for a ClusterRoleBinding: the grant holds in every namespace. */
  clusterWide: boolean;
}

/** One account, as the json and yaml outputs show it. */
export interface AccountItem {
  namespace: string;
  name: string;
  /** False when the ServiceAccount was only reused: this tool did not create it. */
  managed: boolean;
  grants: Grant[];
  tokenKind: TokenKind;
  /** ISO-8601; "never" for legacy tokens; null when unknown (bound tokens leave no record). */
  expires: string | null;
  /** The token Secrets (and any other labelled Secret) of the account. */
  secrets: string[];
  /** RFC 3339: the ServiceAccount's, or for a reused one the oldest labelled object's. */
  created: string | null;
}

/** The document of `-o json` and `-o yaml`. */
export interface AccountList {
  apiVersion: 'kubectl-sa-kubeconfig/v1';
  kind: 'AccountList';
  items: AccountItem[];
}

/** A RoleBinding or ClusterRoleBinding, with the part list reads. */
interface BindingObject extends LiveObject {
  roleRef?: { kind?: string; name?: string };
}

/** What the lists returned. */
interface Found {
  accounts: LiveObject[];
  bindings: { object: BindingObject; clusterWide: boolean }[];
  secrets: LiveObject[];
}

/** An account while its objects are gathered. */
interface Draft {
  namespace: string;
  name: string;
  account?: LiveObject;
  grants: Grant[];
  secrets: LiveObject[];
  others: LiveObject[];
}

const outputs = ['table', 'wide', 'json', 'yaml'];

/** Checks the flags without touching the network or the disk. */
export function validateList(flags: ListOptions): ListOptions {
  if (flags.connection.namespace !== undefined) {
    validateName(flags.connection.namespace, '--namespace', 'label');
  }
  if (!outputs.includes(flags.output)) {
    throw new UsageError(`--output must be table, wide, json or yaml, not "${flags.output}"`);
  }
  return flags;
}

/** Lists the labelled objects, groups them by account and prints them. */
export async function runList(opts: ListOptions, deps: Deps): Promise<void> {
  const config = await loadContext(opts.connection, deps);
  const namespace = opts.allNamespaces ? '' : config.namespace;
  const clients = await connect(config, deps);
  let found: Found;
  try {
    found = await findObjects(clients, namespace, deps);
  } finally {
    clients.close();
  }

  const items = collectAccounts(found);
  if (opts.output === 'json' || opts.output === 'yaml') {
    await printToStdout(renderDocument(items, opts.output), deps.out);
    return;
  }
  if (items.length === 0) {
    // kubectl's words; with -A it names no namespace.
    const where = namespace ? ` in ${namespace} namespace.` : '';
    deps.log.status(`No resources found${where}`);
    return;
  }
  await printToStdout(renderTable(items, opts, deps.now()), deps.out);
}

/**
 * Lists everything this tool labelled, in `namespace` ("" for all). Being
 * refused ClusterRoleBindings only hides cluster-wide grants, so it is a
 * warning: a namespace admin can still list the accounts of the namespace.
 */
async function findObjects(clients: KubeClients, namespace: string, deps: Deps): Promise<Found> {
  const selector = managedSelector(namespace);
  // Settled at once, and looked at only once the namespaced lists worked:
  // a server that is down is reported as an error, not as this warning.
  const clusterScoped = listObjects<BindingObject>(
    clients,
    'ClusterRoleBinding',
    selector,
    '',
  ).then(
    (items) => ({ items, error: undefined }),
    (error: unknown) => ({ items: [], error }),
  );
  const [accounts, roleBindings, secrets] = await Promise.all([
    listObjects(clients, 'ServiceAccount', selector, namespace),
    listObjects<BindingObject>(clients, 'RoleBinding', selector, namespace),
    listObjects(clients, 'Secret', selector, namespace),
  ]);
  const cluster = await clusterScoped;
  if (cluster.error) {
    deps.log.warn(`cluster-wide grants are not shown: ${messageOf(cluster.error)}`);
  }
  const bindings = [
    ...roleBindings.map((object) => ({ object, clusterWide: false })),
    ...cluster.items.map((object) => ({ object, clusterWide: true })),
  ];
  return { accounts, bindings, secrets };
}

/** Objects this tool made, of one namespace's accounts or of all. */
function managedSelector(namespace: string): string {
  const managed = `${labelKeys.managedBy}=${manager}`;
  return namespace ? `${managed},${labelKeys.accountNamespace}=${namespace}` : managed;
}

/**
 * Groups the objects by the account their labels name. An account appears
 * when its ServiceAccount is labelled, or when a labelled binding or Secret
 * names it: then the ServiceAccount was reused.
 */
function collectAccounts(found: Found): AccountItem[] {
  const drafts = new Map<string, Draft>();
  const draftOf = (namespace: string, name: string): Draft => {
    const key = `${namespace}/${name}`;
    let draft = drafts.get(key);
    if (!draft) {
      draft = { namespace, name, grants: [], secrets: [], others: [] };
      drafts.set(key, draft);
    }
    return draft;
  };
  for (const sa of found.accounts) {
    const { name, namespace } = sa.metadata ?? {};
    if (name && namespace) draftOf(namespace, name).account = sa;
  }
  for (const { object, clusterWide } of found.bindings) {
    const owner = ownerOf(object);
    if (!owner) continue;
    const draft = draftOf(owner.namespace, owner.name);
    const grant = grantOf(object, clusterWide);
    if (grant) draft.grants.push(grant);
    draft.others.push(object);
  }
  for (const secret of found.secrets) {
    const owner = ownerOf(secret);
    if (owner) draftOf(owner.namespace, owner.name).secrets.push(secret);
  }
  return [...drafts.values()]
    .map(finishAccount)
    .sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
}

function ownerOf(object: LiveObject): { name: string; namespace: string } | undefined {
  const labels = object.metadata?.labels ?? {};
  const name = labels[labelKeys.account];
  const namespace = labels[labelKeys.accountNamespace];
  return name && namespace ? { name, namespace } : undefined;
}

function grantOf(object: BindingObject, clusterWide: boolean): Grant | undefined {
  const { kind, name } = object.roleRef ?? {};
  if ((kind !== 'Role' && kind !== 'ClusterRole') || !name) return undefined;
  return { kind, name, clusterWide };
}

function finishAccount(draft: Draft): AccountItem {
  const tokenSecrets = draft.secrets.filter((s) => tokenKindOf(s) !== undefined).sort(newestFirst);
  const newest = tokenSecrets[0];
  const tokenKind = newest ? (tokenKindOf(newest) as TokenKind) : annotatedKind(draft.account);
  const created = draft.account
    ? timeOf(draft.account)
    : Math.min(...[...draft.others, ...draft.secrets].map(timeOf).filter(Number.isFinite));
  return {
    namespace: draft.namespace,
    name: draft.name,
    managed: draft.account !== undefined,
    grants: draft.grants.sort(compareGrants),
    tokenKind,
    expires: expiresOf(tokenKind, tokenSecrets),
    secrets: draft.secrets.map((s) => s.metadata?.name ?? '').sort(compare),
    created: Number.isFinite(created) ? rfc3339(new Date(created)) : null,
  };
}

/** Creation times have whole seconds: the later expiry breaks a tie. */
function newestFirst(a: LiveObject, b: LiveObject): number {
  const expires = (s: LiveObject) => s.metadata?.annotations?.[annotationKeys.expires] ?? '';
  return (timeOf(b) || 0) - (timeOf(a) || 0) || compare(expires(b), expires(a));
}

function tokenKindOf(secret: LiveObject): 'revocable' | 'legacy' | undefined {
  const kind = secret.metadata?.labels?.[labelKeys.tokenKind];
  return kind === 'revocable' || kind === 'legacy' ? kind : undefined;
}

/** What `create` recorded on the ServiceAccount; a reused one records nothing. */
function annotatedKind(account: LiveObject | undefined): TokenKind {
  const kind = account?.metadata?.annotations?.[annotationKeys.tokenKind];
  return kind === 'revocable' || kind === 'legacy' ? kind : 'bound';
}

/** The server keeps no expiry of a token: only revocable Secrets record one. */
function expiresOf(kind: TokenKind, newestFirst: LiveObject[]): string | null {
  if (kind === 'legacy') return 'never';
  if (kind === 'bound') return null;
  const revocable = newestFirst.find((s) => tokenKindOf(s) === 'revocable');
  return revocable?.metadata?.annotations?.[annotationKeys.expires] ?? null;
}

function renderDocument(items: AccountItem[], format: 'json' | 'yaml'): string {
  const doc: AccountList = { apiVersion: 'kubectl-sa-kubeconfig/v1', kind: 'AccountList', items };
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  return stringify(doc, { lineWidth: 0 });
}

function renderTable(items: AccountItem[], opts: ListOptions, now: Date): string {
  const wide = opts.output === 'wide';
  const header = ['NAME', 'GRANTS', 'TOKEN', 'EXPIRES', 'AGE'];
  if (wide) header.push('SECRETS', 'CREATED');
  if (opts.allNamespaces) header.unshift('NAMESPACE');
  const rows = items.map((item) => {
    const row = [
      item.name,
      item.grants.map(describeGrant).join(',') || '<none>',
      item.tokenKind,
      describeExpiry(item.expires, now),
      item.created ? humanAge(now.getTime() - Date.parse(item.created)) : '<unknown>',
    ];
    if (wide) row.push(item.secrets.join(',') || '<none>', item.created ?? '<unknown>');
    if (opts.allNamespaces) row.unshift(item.namespace);
    return row;
  });
  return alignColumns([header, ...rows]);
}

/** "clusterrole/edit", or "clusterrole/view (cluster-wide)" for a ClusterRoleBinding. */
function describeGrant(grant: Grant): string {
  const ref = `${grant.kind.toLowerCase()}/${grant.name}`;
  return grant.clusterWide ? `${ref} (cluster-wide)` : ref;
}

function describeExpiry(expires: string | null, now: Date): string {
  if (expires === null) return 'unknown';
  const at = Date.parse(expires);
  return Number.isFinite(at) && at <= now.getTime() ? `${expires} (expired)` : expires;
}

/**
 * kubectl's table layout (its tabwriter settings): columns padded to the
 * widest cell plus 3 spaces, at least 6 wide; the last column unpadded.
 */
function alignColumns(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(6, ...rows.map((row) => row[c].length + 3)));
  const lines = rows.map((row) =>
    row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join(''),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * kubectl's AGE (apimachinery's HumanDuration): seconds up to 2m, then
 * minutes (with seconds below 10m), hours (with minutes below 8h), days
 * (with hours below 8d), and years after two years.
 */
export function humanAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return joinUnits(minutes, 'm', seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return joinUnits(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return joinUnits(days, 'd', hours % 24, 'h');
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return joinUnits(years, 'y', days % 365, 'd');
  return `${years}y`;
}

function joinUnits(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit}${small}${smallUnit}`;
}

function compareGrants(a: Grant, b: Grant): number {
  const scope = Number(a.clusterWide) - Number(b.clusterWide);
  return scope || compare(describeGrant(a), describeGrant(b));
}

function timeOf(object: LiveObject): number {
  const at = object.metadata?.creationTimestamp;
  return at ? new Date(at).getTime() : Number.NaN;
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
