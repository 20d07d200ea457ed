/**
 * Builds the kubeconfig handed to automation: one cluster, one user, one
 * context, nothing that points at a file of this machine.
 */
import { UsageError } from '../errors.js';
import type { ResolvedCluster } from './types.js';

/** The names of the three entries, chosen so that merging never collides. */
export interface EntryNames {
  cluster: string;
  user: string;
  context: string;
}

/** What goes into the generated file. */
export interface KubeconfigInput {
  cluster: ResolvedCluster;
  token: string;
  namespace: string;
  names: EntryNames;
}

/** A kubeconfig in kubectl's own key order (as `kubectl config view` prints). */
export interface GeneratedKubeconfig {
  apiVersion: 'v1';
  clusters: { name: string; cluster: Record<string, string | boolean> }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace: string } }[];
  'current-context': string;
  kind: 'Config';
  preferences: Record<string, never>;
  users: { name: string; user: { token: string } }[];
}

/**
 * Default names. They hold the account, namespace and caller's cluster
 * name, so files for different accounts or clusters merge side by side and
 * none shadows the caller's own entries.
 */
export function defaultNames(account: string, namespace: string, cluster: string): EntryNames {
  const base = `${namespace}/${account}@${cluster}`;
  return { cluster: `sa-kubeconfig@${cluster}`, user: base, context: base };
}

/**
 * The name that stands for the caller's cluster in entry names: its
 * kubeconfig name, or the server's host when --server was given without
 * any kubeconfig.
 */
export function clusterLabel(cluster: ResolvedCluster): string {
  if (cluster.name) return cluster.name;
  try {
    return new URL(cluster.server).host;
  } catch {
    return 'cluster';
  }
}

/** Checks --cluster-name, --user-name, --context-name: a kubeconfig needs real names. */
export function checkEntryName(flag: string, name: string | undefined): void {
  if (name === undefined) return;
  if (name.trim() === '' || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new UsageError(`${flag} must be a non-empty name without control characters`);
  }
}

/** Builds the kubeconfig; the CA is inlined so the file works anywhere. */
export function buildKubeconfig(input: KubeconfigInput): GeneratedKubeconfig {
  const { names } = input;
  return {
    apiVersion: 'v1',
    clusters: [{ name: names.cluster, cluster: clusterEntry(input.cluster) }],
    contexts: [
      {
        name: names.context,
        context: { cluster: names.cluster, user: names.user, namespace: input.namespace },
      },
    ],
    'current-context': names.context,
    kind: 'Config',
    preferences: {},
    users: [{ name: names.user, user: { token: input.token } }],
  };
}

function clusterEntry(c: ResolvedCluster): Record<string, string | boolean> {
  const entry: Record<string, string | boolean> = {};
  if (c.certificateAuthorityPem) {
    entry['certificate-authority-data'] = Buffer.from(c.certificateAuthorityPem).toString('base64');
  }
  if (c.insecureSkipTlsVerify) entry['insecure-skip-tls-verify'] = true;
  if (c.proxyUrl) entry['proxy-url'] = c.proxyUrl;
  entry.server = c.server;
  if (c.tlsServerName) entry['tls-server-name'] = c.tlsServerName;
  if (c.disableCompression) entry['disable-compression'] = true;
  return entry;
}
