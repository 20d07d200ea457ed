/**
 * Running a client-go exec credential plugin the way kubectl does
 * (k8s.io/client-go/plugin/pkg/client/auth/exec/exec.go):
 *
 * - the command runs with its args, the kubeconfig's env added on top of
 *   ours, and KUBERNETES_EXEC_INFO set to an ExecCredential whose
 *   spec.interactive tells whether the plugin may prompt, with spec.cluster
 *   when the stanza sets provideClusterInfo;
 * - stdin reaches the plugin only when interactive; stderr always goes to
 *   the user's terminal, where plugins print login prompts and device codes;
 * - stdout is the reply: an ExecCredential of the same apiVersion whose
 *   status holds a token or a client certificate and key. It may hold a
 *   credential, so no error ever quotes it.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import type { Readable } from 'node:stream';

import { parse as parseYaml } from 'yaml';

import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { isMapping, printable, quote } from './fields.js';
import { checkKeyPair } from './pem.js';
import type { ExecConfig, ResolvedCluster } from './types.js';

/** The variable that carries the ExecCredential request to the plugin. */
export const EXEC_INFO_ENV = 'KUBERNETES_EXEC_INFO';

/** API versions kubectl speaks with plugins; v1alpha1 was dropped in 1.24. */
const SUPPORTED_VERSIONS = [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
];
const DROPPED_VERSION = 'client.authentication.k8s.io/v1alpha1';

const PLUGIN_DOCS =
  'https://kubernetes.io/docs/reference/access-authn-authz/authentication/' +
  '#client-go-credential-plugins';

/** The part of a child process the runner uses; a test passes a fake. */
export interface PluginProcess {
  stdout: Readable | null;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(
    event: 'close',
    listener: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): unknown;
}

/** How a plugin is started: node:child_process spawn, or a test's fake. */
export type Spawner = (
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; stdio: ['inherit' | 'ignore', 'pipe', 'inherit'] },
) => PluginProcess;

/** What the plugin runner needs from the process. */
export interface ExecIo {
  env: NodeJS.ProcessEnv;
  /** Whether our stdin is a terminal (decides spec.interactive). */
  stdinIsTTY?: boolean;
  log: Logger;
  spawn?: Spawner;
}

/** The credential a plugin returned. */
export interface ExecResult {
  token?: string;
  clientCertificatePem?: string;
  clientKeyPem?: string;
  expiresAt?: Date;
}

/** Runs the exec plugin of user `user` and returns its credential. */
export async function runExecPlugin(
  user: string,
  exec: ExecConfig,
  cluster: ResolvedCluster,
  io: ExecIo,
): Promise<ExecResult> {
  const label = `exec plugin ${quote(exec.command)} of user ${quote(user)}`;
  checkVersion(label, exec.apiVersion);
  const interactive = isInteractive(label, exec.interactiveMode, io.stdinIsTTY === true);

  const request = execCredentialRequest(exec, cluster, interactive);
  const env: NodeJS.ProcessEnv = { ...io.env };
  for (const { name, value } of exec.env) env[name] = value;
  env[EXEC_INFO_ENV] = JSON.stringify(request);

  io.log.v(1, `running ${label}${interactive ? ' (interactive)' : ''}`);
  const stdout = await runPlugin(label, exec, env, interactive, io.spawn ?? nodeSpawn);
  const result = parseReply(label, exec.apiVersion, stdout);
  io.log.addSecret(result.token);
  io.log.addSecret(result.clientKeyPem);
  return result;
}

function checkVersion(label: string, apiVersion: string): void {
  if (SUPPORTED_VERSIONS.includes(apiVersion)) return;
  if (apiVersion === DROPPED_VERSION) {
    throw new UserError(
      `${label} uses apiVersion ${DROPPED_VERSION}, which kubectl dropped ` +
        'in 1.24 (update the plugin and set apiVersion to client.authentication.k8s.io/v1)',
    );
  }
  throw new UserError(
    `${label} has unknown apiVersion ${quote(apiVersion)} ` +
      `(use ${SUPPORTED_VERSIONS.join(' or ')})`,
  );
}

/** client-go's isInteractive: Never, IfAvailable (stdin is a terminal) or Always. */
function isInteractive(label: string, mode: ExecConfig['interactiveMode'], tty: boolean): boolean {
  if (mode === 'Never') return false;
  if (mode === 'IfAvailable') return tty;
  if (!tty) {
    throw new UserError(
      `${label} needs a terminal (interactiveMode: Always), but standard ` +
        'input is not a terminal (run the command from a terminal)',
    );
  }
  return true;
}

/** The ExecCredential sent in KUBERNETES_EXEC_INFO, shaped like client-go's. */
export function execCredentialRequest(
  exec: ExecConfig,
  cluster: ResolvedCluster,
  interactive: boolean,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (exec.provideClusterInfo) spec.cluster = clusterInfo(exec, cluster);
  spec.interactive = interactive;
  return { kind: 'ExecCredential', apiVersion: exec.apiVersion, spec };
}

/** spec.cluster: the cluster as resolved, CA as base64 data, empty fields left out. */
function clusterInfo(exec: ExecConfig, cluster: ResolvedCluster): Record<string, unknown> {
  const info: Record<string, unknown> = { server: cluster.server };
  if (cluster.tlsServerName) info['tls-server-name'] = cluster.tlsServerName;
  if (cluster.insecureSkipTlsVerify) info['insecure-skip-tls-verify'] = true;
  if (cluster.certificateAuthorityPem) {
    info['certificate-authority-data'] = Buffer.from(cluster.certificateAuthorityPem).toString(
      'base64',
    );
  }
  if (cluster.proxyUrl) info['proxy-url'] = cluster.proxyUrl;
  if (cluster.disableCompression) info['disable-compression'] = true;
  if (exec.clusterExtension !== undefined) info.config = exec.clusterExtension;
  return info;
}

/** Starts the plugin and collects its stdout; fails on a missing command or exit code. */
function runPlugin(
  label: string,
  exec: ExecConfig,
  env: NodeJS.ProcessEnv,
  interactive: boolean,
  spawner: Spawner,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let child: PluginProcess;
    try {
      child = spawner(exec.command, exec.args, {
        env,
        stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'],
      });
    } catch (err) {
      reject(startError(label, exec, err));
      return;
    }
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
    child.on('error', (err) => reject(startError(label, exec, err)));
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve(Buffer.concat(chunks).toString('utf8'));
        return;
      }
      const how = signal ? `killed by ${signal}` : `exit code ${code ?? 'unknown'}`;
      reject(new UserError(`failed to run ${label}: ${how}`));
    });
  });
}

function startError(label: string, exec: ExecConfig, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    const hint = exec.installHint
      ? `\n\n${printable(exec.installHint, true)}`
      : ` (install it, or fix the command in the kubeconfig; see ${PLUGIN_DOCS})`;
    return new UserError(`failed to run ${label}: executable not found${hint}`, { cause: err });
  }
  if (code === 'EACCES') {
    return new UserError(`failed to run ${label}: permission denied (is it executable?)`, {
      cause: err,
    });
  }
  const why = err instanceof Error ? err.message : String(err);
  return new UserError(`failed to run ${label}: ${why}`, { cause: err });
}

/** Checks the reply as client-go does; errors describe it without quoting it. */
function parseReply(label: string, apiVersion: string, stdout: string): ExecResult {
  const fail = (why: string): UserError =>
    new UserError(`failed to read the reply of ${label}: ${why}`);
  const reply = decode(stdout);
  if (!isMapping(reply)) throw fail('stdout is not a JSON ExecCredential');
  // Only the expected value is named: a plugin may put anything there.
  if (reply.apiVersion !== apiVersion) throw fail(notExpected('apiVersion', reply, apiVersion));
  if (reply.kind !== 'ExecCredential') throw fail(notExpected('kind', reply, 'ExecCredential'));
  const status = reply.status;
  if (!isMapping(status)) throw fail('it has no status');
  const text = (key: string): string | undefined => {
    const value = status[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw fail(`status.${key} is not a string`);
    return value;
  };
  const token = text('token');
  const cert = text('clientCertificateData');
  const key = text('clientKeyData');
  if (!token && !cert && !key) throw fail('it holds neither a token nor a certificate and key');
  if (!cert !== !key) throw fail('it holds only one of clientCertificateData and clientKeyData');
  if (cert && key) checkKeyPair(label, cert, key);
  return {
    token,
    clientCertificatePem: cert,
    clientKeyPem: key,
    expiresAt: expiry(text('expirationTimestamp'), fail),
  };
}

/** JSON, or YAML as client-go's universal decoder also accepts; undefined if neither. */
function decode(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    try {
      return parseYaml(stdout, { prettyErrors: false });
    } catch {
      return undefined;
    }
  }
}

function expiry(text: string | undefined, fail: (why: string) => UserError): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw fail('status.expirationTimestamp is not a time');
  return date;
}

/** "kind is missing (expected "X")" or "kind is not "X"", never the value itself. */
function notExpected(key: string, reply: Record<string, unknown>, want: string): string {
  const value = reply[key];
  if (value === undefined || value === null || value === '') {
    return `${key} is missing (expected "${want}")`;
  }
  return `${key} is not "${want}"`;
}
