/**
 * Shapes shared by the kubeconfig modules: the kubectl global flags, and the
 * one context that kubectl would use once files, merging and flags are
 * applied.
 */

/** kubectl's global connection flags (cli-runtime genericclioptions). */
export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  token?: string;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  username?: string;
  password?: string;
  as?: string;
  asGroups?: string[];
  asUid?: string;
  /** kubectl's --request-timeout text: "0", "30", "5s", "1m". */
  requestTimeout?: string;
  disableCompression?: boolean;
}

/** The cluster kubectl would talk to, with every path already read. */
export interface ResolvedCluster {
  /** Name of the cluster stanza in the caller's kubeconfig. */
  name: string;
  server: string;
  /** PEM text of the CA, from -data or from the file; unset: system roots. */
  certificateAuthorityPem?: string;
  /** Where the CA came from, for -v output ("file /a/ca.crt", "data"). */
  certificateAuthoritySource?: string;
  tlsServerName?: string;
  proxyUrl?: string;
  insecureSkipTlsVerify: boolean;
  disableCompression: boolean;
}

/** An exec credential plugin stanza (client.authentication.k8s.io). */
export interface ExecConfig {
  apiVersion: string;
  /** Absolute when it held a path separator; else looked up on PATH. */
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string;
  provideClusterInfo: boolean;
  interactiveMode: 'Never' | 'IfAvailable' | 'Always';
  /** extensions["client.authentication.k8s.io/exec"] of the cluster. */
  clusterExtension?: unknown;
}

/** Who kubectl would be, before any plugin has run. */
export interface ResolvedUser {
  /** Name of the user stanza in the caller's kubeconfig. */
  name: string;
  token?: string;
  /** Absolute path; read when used, whitespace trimmed. */
  tokenFile?: string;
  clientCertificatePem?: string;
  clientKeyPem?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig;
  /** Name of a legacy auth-provider (oidc, gcp, azure), which is refused. */
  authProvider?: string;
  impersonate?: Impersonation;
}

/** Impersonation from --as/--as-group/--as-uid or the user stanza. */
export interface Impersonation {
  user?: string;
  groups: string[];
  uid?: string;
  extra: Record<string, string[]>;
}

/** The outcome of kubectl's kubeconfig rules for one invocation. */
export interface ResolvedConfig {
  /** The files that were read, in precedence order. */
  files: string[];
  contextName: string;
  namespace: string;
  cluster: ResolvedCluster;
  user: ResolvedUser;
  /** Milliseconds; 0 means no timeout. */
  requestTimeoutMs: number;
}

/** Plain credentials sent on every request, after exec and tokenFile. */
export interface Credentials {
  token?: string;
  clientCertificatePem?: string;
  clientKeyPem?: string;
  username?: string;
  password?: string;
  /** From an exec plugin's expirationTimestamp: run the plugin again after this. */
  expiresAt?: Date;
}
