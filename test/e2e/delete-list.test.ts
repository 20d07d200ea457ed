/**
 * list and delete against real control planes: accounts made by the
 * plugin (and one it only reused) are listed, then deleted; kubectl as the
 * admin is the oracle for what is left.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import {
  type Cluster,
  admin,
  e2e,
  kubectl,
  makeNamespaceAdmin,
  plugin,
  runAsAdmin,
  writeTemp,
} from './context.js';

const run = runAsAdmin;

/** Runs the plugin and fails the test with its stderr when it fails. */
function ok(cluster: Cluster, args: string[]) {
  const r = run(cluster, args);
  expect(r.stderr).not.toMatch(/^error:/m);
  expect(r.code).toBe(0);
  return r;
}

/** Every object the account's labels select, as kubectl names them. */
function labelled(cluster: Cluster, ns: string, name: string): string[] {
  const account = `kubectl-sa-kubeconfig/serviceaccount=${name}`;
  const namespaced = admin(cluster, [
    'get',
    'rolebindings,roles,secrets,serviceaccounts',
    '-n',
    ns,
    '-l',
    account,
    '-o',
    'name',
  ]);
  const clusterScoped = admin(cluster, [
    'get',
    'clusterrolebindings,clusterroles',
    '-o',
    'name',
    '-l',
    `${account},kubectl-sa-kubeconfig/namespace=${ns}`,
  ]);
  expect(namespaced.code).toBe(0);
  expect(clusterScoped.code).toBe(0);
  return `${namespaced.stdout}${clusterScoped.stdout}`.split('\n').filter(Boolean).sort();
}

/**
 * Three accounts in `ns`: "editor" (clusterrole edit, revocable token),
 * "reader" (a cluster-wide rule), and "reused", whose ServiceAccount was
 * made by kubectl and which has a legacy token.
 */
function makeAccounts(cluster: Cluster, ns: string): { editorConfig: string } {
  const editor = ok(cluster, [
    'editor',
    '-n',
    ns,
    '--create-namespace',
    '--clusterrole',
    'edit',
    '--revocable',
  ]);
  ok(cluster, ['reader', '-n', ns, '--verb', 'get', '--resource', 'pods', '--cluster-wide']);
  expect(admin(cluster, ['create', 'serviceaccount', 'reused', '-n', ns]).code).toBe(0);
  ok(cluster, ['reused', '-n', ns, '--clusterrole', 'view', '--legacy-token']);
  return { editorConfig: writeTemp(`${ns}-editor.kubeconfig`, editor.stdout) };
}

/**
 * The API server caches a token's authentication for a few seconds (10 by
 * default), so a deleted account's token is refused as Unauthorized only
 * after that; its access is gone at once (its bindings are).
 */
function untilRefused(kubeconfig: string, ns: string): string {
  const deadline = Date.now() + 30_000;
  let stderr = '';
  while (Date.now() < deadline) {
    stderr = kubectl(['--kubeconfig', kubeconfig, 'get', 'pods', '-n', ns]).stderr;
    if (/Unauthorized|must be logged in/.test(stderr)) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  return stderr;
}

interface Item {
  namespace: string;
  name: string;
  managed: boolean;
  grants: { kind: string; name: string; clusterWide: boolean }[];
  tokenKind: string;
  expires: string | null;
  secrets: string[];
  created: string | null;
}

for (const cluster of e2e().clusters) {
  describe(`list and delete on ${cluster.name} (${cluster.version})`, () => {
    it('lists the accounts it manages in one namespace, or in all with -A', () => {
      const ns = 'lc-list';
      makeAccounts(cluster, ns);
      ok(cluster, ['elsewhere', '-n', 'lc-list-other', '--create-namespace']);

      const table = ok(cluster, ['list', '-n', ns]);
      expect(table.stderr).toBe('');
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^NAME {3,}GRANTS {3,}TOKEN {3,}EXPIRES {3,}AGE$/);
      expect(lines.slice(1).map((l) => l.split(/ {3,}/).slice(0, 4))).toEqual([
        ['editor', 'clusterrole/edit', 'revocable', expect.stringMatching(/^20\d\d-.*Z$/)],
        ['reader', `clusterrole/sa-kubeconfig:${ns}:reader (cluster-wide)`, 'bound', 'unknown'],
        ['reused', 'clusterrole/view', 'legacy', 'never'],
      ]);

      const all = ok(cluster, ['list', '-A', '-o', 'json']);
      const items: Item[] = JSON.parse(all.stdout).items;
      const mine = items.filter((i) => i.namespace.startsWith('lc-list'));
      expect(mine.map((i) => `${i.namespace}/${i.name} ${i.managed}`)).toEqual([
        'lc-list/editor true',
        'lc-list/reader true',
        'lc-list/reused false',
        'lc-list-other/elsewhere true',
      ]);
      const editor = mine.find((i) => i.name === 'editor') as Item;
      expect(editor.secrets).toHaveLength(1);
      expect(Date.parse(editor.expires ?? '')).toBeGreaterThan(Date.now());
      const reused = mine.find((i) => i.name === 'reused') as Item;
      expect(reused.secrets).toEqual([expect.stringMatching(/^sa-kubeconfig-reused-legacy-/)]);

      const wide = ok(cluster, ['list', '-A', '-o', 'wide']);
      expect(wide.stdout.split('\n')[0]).toMatch(/^NAMESPACE {3,}NAME .* SECRETS {3,}CREATED$/);
      const yaml = ok(cluster, ['list', '-n', ns, '-o', 'yaml']);
      const names = parse(yaml.stdout).items.map((i: Item) => i.name);
      expect(names).toEqual(['editor', 'reader', 'reused']);
    });

    it('deletes nothing with --dry-run=client or --dry-run=server', () => {
      const ns = 'lc-dry';
      makeAccounts(cluster, ns);
      const before = ['editor', 'reader', 'reused'].map((n) => labelled(cluster, ns, n));
      expect(before[1]).toEqual([
        `clusterrole.rbac.authorization.k8s.io/sa-kubeconfig:${ns}:reader`,
        `clusterrolebinding.rbac.authorization.k8s.io/sa-kubeconfig:${ns}:reader`,
        'serviceaccount/reader',
      ]);

      const client = ok(cluster, ['delete', 'reader', '-n', ns, '--dry-run=client']);
      expect(client.stdout).toBe('');
      const rbac = 'rbac.authorization.k8s.io';
      expect(client.stderr).toBe(
        `clusterrolebinding.${rbac}/sa-kubeconfig:${ns}:reader deleted (dry run)\n` +
          `clusterrole.${rbac}/sa-kubeconfig:${ns}:reader deleted (dry run)\n` +
          'serviceaccount/reader deleted (dry run)\n',
      );
      const server = ok(cluster, ['delete', 'editor', '-n', ns, '--dry-run=server']);
      const lines = server.stderr.trimEnd().split('\n');
      expect(lines).toEqual([
        `rolebinding.${rbac}/sa-kubeconfig:editor:clusterrole:edit deleted (server dry run)`,
        expect.stringMatching(/^secret\/sa-kubeconfig-editor-\w+ deleted \(server dry run\)$/),
        'serviceaccount/editor deleted (server dry run)',
      ]);
      const kept = ok(cluster, ['delete', 'reused', '-n', ns, '--dry-run=server']);
      expect(kept.stderr).toContain('serviceaccount/reused kept (this tool did not create it)\n');

      const after = ['editor', 'reader', 'reused'].map((n) => labelled(cluster, ns, n));
      expect(after).toEqual(before);
    });

    const slow = { timeout: 120_000 };
    it('deletes what it made, keeps a reused account, and the token stops working', slow, () => {
      const ns = 'lc-del';
      const { editorConfig } = makeAccounts(cluster, ns);
      expect(kubectl(['--kubeconfig', editorConfig, 'get', 'pods', '-n', ns]).code).toBe(0);

      const editor = ok(cluster, ['delete', 'editor', '-n', ns]);
      expect(editor.stdout).toBe('');
      const lines = editor.stderr.trimEnd().split('\n');
      expect(lines).toEqual([
        'rolebinding.rbac.authorization.k8s.io/sa-kubeconfig:editor:clusterrole:edit deleted',
        expect.stringMatching(/^secret\/sa-kubeconfig-editor-\w+ deleted$/),
        'serviceaccount/editor deleted',
      ]);
      const refused = kubectl(['--kubeconfig', editorConfig, 'get', 'pods', '-n', ns]);
      expect(refused.code).not.toBe(0);
      expect(untilRefused(editorConfig, ns)).toMatch(/Unauthorized|must be logged in/);

      ok(cluster, ['delete', 'reader', '-n', ns]);
      const reused = ok(cluster, ['delete', 'reused', '-n', ns]);
      expect(reused.stderr).toContain('serviceaccount/reused kept (this tool did not create it)\n');
      expect(reused.stderr).toMatch(/^secret\/sa-kubeconfig-reused-legacy-\w+ deleted$/m);

      for (const name of ['editor', 'reader', 'reused']) {
        expect(labelled(cluster, ns, name)).toEqual([]);
      }
      expect(admin(cluster, ['get', 'serviceaccount', 'reused', '-n', ns]).code).toBe(0);
      expect(admin(cluster, ['get', 'serviceaccount', 'editor', '-n', ns]).code).not.toBe(0);
      expect(admin(cluster, ['get', 'namespace', ns]).code).toBe(0);

      const empty = ok(cluster, ['list', '-n', ns]);
      expect(empty.stdout).toBe('');
      expect(empty.stderr).toBe(`No resources found in ${ns} namespace.\n`);
      const again = run(cluster, ['delete', 'editor', '-n', ns]);
      expect(again.code).toBe(1);
      expect(again.stderr).toBe(
        `error: no objects made by kubectl-sa-kubeconfig for serviceaccount "${ns}/editor" were` +
          ' found (see the accounts it manages with "kubectl sa-kubeconfig list -A")\n',
      );
    });

    it('refuses to delete when cluster-wide grants cannot be listed', () => {
      const ns = 'lc-alice';
      ok(cluster, ['wide', '-n', ns, '--create-namespace', '--clusterrole=view', '--cluster-wide']);
      makeNamespaceAdmin(cluster, ns);
      const alice = `${cluster.dir}/alice.kubeconfig`;
      const r = plugin(['delete', 'wide', '-n', ns, '--kubeconfig', alice]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: failed to delete serviceaccount "lc-alice\/wide": nothing was deleted, since its/,
      );
      expect(r.stderr).toContain('cannot list resource "clusterrolebindings"');
      expect(labelled(cluster, ns, 'wide')).toHaveLength(2);

      const listed = plugin(['list', '-n', ns, '--kubeconfig', alice]);
      expect(listed.code).toBe(0);
      expect(listed.stderr).toMatch(/^Warning: cluster-wide grants are not shown: /);
      expect(listed.stdout).toMatch(/\nwide {3,}<none> {3,}bound/);
    });
  });
}
