/**
 * The credential of an account: a token of one of three kinds, the
 * kubeconfig around it, and the check that the kubeconfig really works.
 * Shared by create and rotate.
 */
import { randomBytes } from 'node:crypto';

import { UsageError, UserError } from '../errors.js';
import { type LiveObject, readObject } from '../k8s/apply.js';
import type { KubeClients } from '../k8s/client.js';
import {
  type AccountRef,
  type Manifest,
  type TokenKind,
  accountLabels,
  annotationKeys,
  labelKeys,
} from '../k8s/objects.js';
import {
  type IssuedToken,
  type TokenSpec,
  formatSeconds,
  requestToken,
  secondsUntil,
  shortfallWarning,
} from '../k8s/token.js';
import {
  type EntryNames,
  buildKubeconfig,
  checkEntryName,
  clusterLabel,
  defaultNames,
} from '../kubeconfig/build.js';
import type { ResolvedConfig } from '../kubeconfig/types.js';
import {
  type OutputFormat,
  printToStdout,
  renderKubeconfig,
  writeOutputFile,
} from '../kubeconfig/write.js';
import type { Deps } from './deps.js';
import type { Writer } from './writer.js';

/** How long `--legacy-token` waits for the token controller. */
const legacyWaitMs = 30_000;
const legacyPollMs = 250;

/** What kind of token to make, and for how long. */
export interface CredentialSpec {
  kind: TokenKind;
  token: TokenSpec;
}

/** A token, when it expires (never for legacy), and the Secret behind it. */
export interface Credential {
  token: string;
  expiresAt?: Date;
  secret?: string;
}

/** Where and how to print the kubeconfig. */
export interface OutputSpec {
  format: OutputFormat;
  file?: string;
  /** Replace an existing file (create --force; rotate always). */
  replace: boolean;
  names: Partial<EntryNames>;
}

/** The output flags create and rotate share. */
export interface OutputFlags {
  output: string;
  outputFile?: string;
  clusterName?: string;
  userName?: string;
  contextName?: string;
}

/** Checks the shared output flags; `replace` is --force (create) or rotate's rule. */
export function validateOutputFlags(flags: OutputFlags, replace: boolean): OutputSpec {
  if (flags.output !== 'yaml' && flags.output !== 'json') {
    throw new UsageError(`--output must be yaml or json, not "${flags.output}"`);
  }
  if (flags.outputFile === '') throw new UsageError('--output-file needs a file name');
  checkEntryName('--cluster-name', flags.clusterName);
  checkEntryName('--user-name', flags.userName);
  checkEntryName('--context-name', flags.contextName);
  return {
    format: flags.output,
    file: flags.outputFile,
    replace,
    names: { cluster: flags.clusterName, user: flags.userName, context: flags.contextName },
  };
}

/** Makes a token of the requested kind for `account`. */
export async function issueCredential(
  clients: KubeClients,
  writer: Writer,
  account: AccountRef,
  spec: CredentialSpec,
  deps: Deps,
): Promise<Credential> {
  const credential = await issueByKind(clients, writer, account, spec, deps);
  deps.log.addSecret(credential.token);
  return credential;
}

async function issueByKind(
  clients: KubeClients,
  writer: Writer,
  account: AccountRef,
  spec: CredentialSpec,
  deps: Deps,
): Promise<Credential> {
  if (spec.kind === 'legacy') return issueLegacy(clients, writer, account, deps);
  if (spec.kind === 'bound') {
    const issued = await requestToken(clients, account, spec.token);
    writer.record(`token for serviceaccount/${account.name} issued`);
    return issued;
  }
  return issueRevocable(clients, writer, account, spec.token);
}

/**
 * A token bound to a Secret made for it: the API server accepts the token
 * only while that Secret exists, so deleting it revokes the token.
 */
async function issueRevocable(
  clients: KubeClients,
  writer: Writer,
  account: AccountRef,
  spec: TokenSpec,
): Promise<Credential> {
  const manifest = tokenSecretManifest(account, 'revocable');
  const secret = await writer.apply(manifest, undefined);
  const uid = secret?.metadata?.uid;
  if (!uid)
    throw new UserError(`the server returned secret "${manifest.metadata.name}" without a uid`);
  const boundObjectRef = { kind: 'Secret', apiVersion: 'v1', name: manifest.metadata.name, uid };
  const issued = await requestToken(clients, account, { ...spec, boundObjectRef });
  // The server keeps no record of a token's expiry: note it for `list`.
  manifest.metadata.annotations = { [annotationKeys.expires]: issued.expiresAt.toISOString() };
  await writer.apply(manifest, secret, true);
  return { ...issued, secret: manifest.metadata.name };
}

/**
 * A kubernetes.io/service-account-token Secret, filled by the token
 * controller of kube-controller-manager; the wait is bounded.
 */
async function issueLegacy(
  clients: KubeClients,
  writer: Writer,
  account: AccountRef,
  deps: Deps,
): Promise<Credential> {
  const manifest = tokenSecretManifest(account, 'legacy');
  await writer.apply(manifest, undefined);
  const key = {
    kind: 'Secret' as const,
    name: manifest.metadata.name,
    namespace: account.namespace,
  };
  const deadline = Date.now() + legacyWaitMs;
  while (Date.now() < deadline) {
    const secret = (await readObject(clients, key)) as
      (LiveObject & { data?: Record<string, string> }) | undefined;
    const data = secret?.data?.token;
    if (data) return { token: Buffer.from(data, 'base64').toString('utf8'), secret: key.name };
    await new Promise((resolve) => setTimeout(resolve, legacyPollMs));
  }
  deps.log.v(1, `secret ${key.namespace}/${key.name} still has no token`);
  throw new UserError(
    `the token controller did not fill secret "${key.namespace}/${key.name}" within` +
      ` ${legacyWaitMs / 1000}s (is kube-controller-manager running with a` +
      ' --service-account-private-key-file? the Secret is left in place)',
  );
}

/** A Secret for one token; the random suffix keeps old ones until rotated out. */
export function tokenSecretManifest(account: AccountRef, kind: 'revocable' | 'legacy'): Manifest {
  const suffix = randomBytes(3).toString('hex');
  const name = `sa-kubeconfig-${account.name}-${kind === 'legacy' ? 'legacy-' : ''}${suffix}`;
  const labels = { ...accountLabels(account), [labelKeys.tokenKind]: kind };
  const metadata: Manifest['metadata'] = {
    name: name.slice(0, 253),
    namespace: account.namespace,
    labels,
  };
  if (kind === 'legacy')
    metadata.annotations = { 'kubernetes.io/service-account.name': account.name };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type: kind === 'legacy' ? 'kubernetes.io/service-account-token' : 'Opaque',
  };
}

/** Builds the kubeconfig text for `credential`. */
export function renderCredential(
  config: ResolvedConfig,
  account: AccountRef,
  credential: Credential,
  output: OutputSpec,
): string {
  const names = defaultNames(account.name, account.namespace, clusterLabel(config.cluster));
  const kubeconfig = buildKubeconfig({
    cluster: config.cluster,
    token: credential.token,
    namespace: account.namespace,
    names: {
      cluster: output.names.cluster ?? names.cluster,
      user: output.names.user ?? names.user,
      context: output.names.context ?? names.context,
    },
  });
  return renderKubeconfig(kubeconfig, output.format);
}

/** Prints or writes the kubeconfig; warns when it skips TLS verification. */
export async function deliver(
  config: ResolvedConfig,
  text: string,
  output: OutputSpec,
  deps: Deps,
): Promise<void> {
  if (config.cluster.insecureSkipTlsVerify) {
    deps.log.warn(
      'the kubeconfig skips TLS verification (insecure-skip-tls-verify), as your connection' +
        ' does: anyone on the network path can read the token',
    );
  }
  if (!output.file) {
    await printToStdout(text, deps.out);
    return;
  }
  await writeOutputFile(output.file, text, output.replace);
  deps.log.status(`kubeconfig written to ${output.file} (mode 0600)`);
}

/** The expiry line, and a warning when the server granted less than asked. */
export function reportExpiry(
  account: AccountRef,
  spec: CredentialSpec,
  credential: Credential,
  deps: Deps,
): void {
  const who = `serviceaccount "${account.namespace}/${account.name}"`;
  if (!credential.expiresAt) {
    deps.log.warn(
      `the legacy token of ${who} never expires: revoke it by deleting secret` +
        ` "${credential.secret}"; clusters from 1.29 on invalidate and then delete legacy` +
        ' tokens left unused for a year',
    );
    return;
  }
  const now = deps.now();
  const left = secondsUntil(credential.expiresAt, now);
  const revocable = credential.secret
    ? ` (revoke it early: kubectl delete secret -n ${account.namespace} ${credential.secret})`
    : '';
  deps.log.status(
    `token for ${who} expires ${credential.expiresAt.toISOString()}` +
      ` (in ${formatSeconds(left)})${revocable}`,
  );
  const warning = shortfallWarning(spec.token, credential as IssuedToken, now);
  if (warning) deps.log.warn(warning);
}
