/**
 * What the global setup hands to end-to-end tests, and helpers to run the
 * plugin and kubectl with stdout and stderr kept apart.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { inject } from 'vitest';
import { parse } from 'yaml';

/** One running control plane. */
export interface Cluster {
  name: string;
  dir: string;
  server: string;
  version: string;
  caFile: string;
  adminToken: string;
  aliceToken: string;
  tlsName: string;
}

/** Everything the global setup started. */
export interface E2EContext {
  /** The run's folder; everything tests write goes below it. */
  tmp: string;
  plugin: string[];
  clusters: Cluster[];
  capped?: Cluster;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2EContext;
  }
}

/** The result of one command. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The context from the global setup. */
export function e2e(): E2EContext {
  return inject('e2e');
}

/** A fresh folder for one test's files. */
export function workDir(): string {
  return mkdtempSync(path.join(e2e().tmp, 'work-'));
}

/** Runs the plugin with a clean environment: HOME is a fresh folder. */
export function plugin(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
  const [cmd, ...pre] = e2e().plugin;
  return exec(cmd, [...pre, ...args], opts);
}

/** Polls `check` every 200 ms for up to 10 s; fails the test if it never holds. */
export function waitUntil(check: () => boolean): void {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10s');
    spawnSync('sleep', ['0.2']);
  }
}

/**
 * Makes alice an admin of namespace `ns` (the admin ClusterRole, bound
 * there), and waits until RBAC, which reads bindings from a cache, knows.
 */
export function makeNamespaceAdmin(cluster: Cluster, ns: string): void {
  admin(cluster, [
    'create',
    'rolebinding',
    'alice-admin',
    '-n',
    ns,
    '--clusterrole=admin',
    '--user=alice',
  ]);
  const probe = ['auth', 'can-i', 'list', 'rolebindings', '-n', ns, '--as', 'alice'];
  waitUntil(() => admin(cluster, probe).stdout.trim() === 'yes');
}

/** Runs the plugin as the cluster's admin. */
export function runAsAdmin(cluster: Cluster, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  return plugin(['--kubeconfig', adminConfig(cluster), ...args], { env });
}

/** The token of a kubeconfig the plugin printed. */
export function tokenOf(kubeconfigText: string): string {
  return (parse(kubeconfigText) as { users: { user: { token: string } }[] }).users[0].user.token;
}

/** Runs kubectl, the oracle, with an isolated HOME. */
export function kubectl(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
  return exec('kubectl', args, opts);
}

/** Runs kubectl as the cluster admin. */
export function admin(cluster: Cluster, args: string[]): Run {
  return kubectl(['--kubeconfig', adminConfig(cluster), ...args]);
}

/** The admin kubeconfig the control-plane script wrote. */
export function adminConfig(cluster: Cluster): string {
  return path.join(cluster.dir, 'admin.kubeconfig');
}

/** Writes `text` to a file in a fresh folder and returns its path. */
export function writeTemp(name: string, text: string): string {
  const file = path.join(workDir(), name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** Decodes a JWT's claims (the payload is not a secret to the test). */
export function claims(token: string): { exp: number; iat: number; sub: string; aud: string[] } {
  const payload = token.split('.')[1];
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

function exec(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string }): Run {
  const home = workDir();
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    ...opts.env,
  };
  const r = spawnSync(cmd, args, { env, cwd: opts.cwd ?? home, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
