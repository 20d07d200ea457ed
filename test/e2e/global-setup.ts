/**
 * Starts the control planes the end-to-end tests run against, and the
 * plugin they run: the bundle by default, or KSA_PLUGIN (a command line,
 * e.g. "kubectl sa-kubeconfig" once krew installed it).
 *
 * Instances: the current release, v1.20.2, and the current release with a
 * 2h cap on token lifetimes. KSA_E2E_VERSIONS="current" limits the set.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { TestProject } from 'vitest/node';

import type { Cluster, E2EContext } from './context.js';

const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(root, 'scripts/control-plane.sh');

const started: string[] = [];

/** One folder for the whole run: control planes and test files, removed at the end. */
const base = mkdtempSync(path.join(tmpdir(), 'ksa-e2e-'));

function start(version: string, extra: string[] = []): Cluster {
  const dir = mkdtempSync(path.join(base, `${version}-`));
  execFileSync('bash', [script, 'start', version, dir, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(dir);
  return { name: version, dir, ...readEnv(path.join(dir, 'env')) };
}

function readEnv(file: string): Omit<Cluster, 'name' | 'dir'> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(\w+)=['"]?(.*?)['"]?$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return {
    server: vars.KSA_SERVER,
    version: vars.KSA_VERSION,
    caFile: vars.KSA_CA_FILE,
    adminToken: vars.KSA_ADMIN_TOKEN,
    aliceToken: vars.KSA_ALICE_TOKEN,
    tlsName: vars.KSA_TLS_NAME,
  };
}

function pluginCommand(): string[] {
  if (process.env.KSA_PLUGIN) return process.env.KSA_PLUGIN.split(' ').filter(Boolean);
  execFileSync('node', [path.join(root, 'scripts/build.mjs'), '--bundle-only'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return ['node', path.join(root, 'dist/kubectl-sa_kubeconfig.cjs')];
}

/** Vitest global setup: start everything, hand it to the tests, stop it after. */
export default function setup(project: TestProject): () => void {
  const versions = (process.env.KSA_E2E_VERSIONS ?? 'current,1.20').split(',');
  const context: E2EContext = {
    tmp: base,
    plugin: pluginCommand(),
    clusters: versions.map((v) => start(v)),
    capped: versions.includes('current')
      ? start('current', ['--max-token-expiration', '2h'])
      : undefined,
  };
  project.provide('e2e', context);
  return () => {
    for (const dir of started) {
      execFileSync('bash', [script, 'stop', dir], { stdio: 'inherit' });
    }
    // KSA_KEEP_E2E=1 keeps the folder, with the control planes' logs.
    if (!process.env.KSA_KEEP_E2E) rmSync(base, { recursive: true, force: true });
  };
}
