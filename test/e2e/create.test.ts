/**
 * The main job against real control planes: the kubeconfig the plugin
 * prints is then used with kubectl to prove what it can and cannot do.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import {
  type Cluster,
  admin,
  adminConfig,
  claims,
  e2e,
  kubectl,
  plugin,
  workDir,
  writeTemp,
  runAsAdmin,
  tokenOf,
  makeNamespaceAdmin,
  waitUntil,
} from './context.js';

const run = runAsAdmin;

function canI(file: string, ...args: string[]): string {
  return kubectl(['--kubeconfig', file, 'auth', 'can-i', ...args]).stdout.trim();
}

for (const cluster of e2e().clusters) {
  describe(`on ${cluster.name} (${cluster.version})`, () => {
    it('writes a 0600 kubeconfig that can edit its namespace and nothing more', () => {
      const dir = workDir();
      const file = path.join(dir, 'jenkins.kubeconfig');
      const r = plugin(
        [
          'jenkins',
          '-n',
          'automation',
          '--create-namespace',
          '--clusterrole',
          'edit',
          '--duration',
          '24h',
          '--output-file',
          file,
          '--kubeconfig',
          adminConfig(cluster),
        ],
        { cwd: dir },
      );
      expect(r.stderr).toContain('namespace/automation created');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('serviceaccount/jenkins created');
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const pods = kubectl(['--kubeconfig', file, 'get', 'pods', '-n', 'automation']);
      expect(pods.code).toBe(0);
      const nodes = kubectl(['--kubeconfig', file, 'get', 'nodes']);
      expect(nodes.code).not.toBe(0);
      expect(nodes.stderr).toContain('forbidden');
      expect(canI(file, 'create', 'deployments.apps', '-n', 'automation')).toBe('yes');
      expect(canI(file, 'get', 'pods', '-n', 'default')).toBe('no');
      expect(canI(file, 'create', 'rolebindings', '-n', 'automation')).toBe('no');

      const text = readFileSync(file, 'utf8');
      const token = tokenOf(text);
      const c = claims(token);
      expect(c.sub).toBe('system:serviceaccount:automation:jenkins');
      expect(Math.abs(c.exp - c.iat - 86400)).toBeLessThan(5);
      expect(r.stderr).not.toContain(token);
    });

    it('embeds a CA given as a file, and the context holds the namespace', () => {
      const r = run(cluster, ['embed-ca', '-n', 'default']);
      expect(r.code).toBe(0);
      const config = parse(r.stdout);
      const ca = readFileSync(cluster.caFile);
      expect(config.clusters[0].cluster['certificate-authority-data']).toBe(ca.toString('base64'));
      expect(config.clusters[0].cluster.server).toBe(cluster.server);
      expect(config.contexts[0].context.namespace).toBe('default');
      expect(config['current-context']).toBe(config.contexts[0].name);
    });

    it('is a no-op the second time, and reconciles changed rules', () => {
      const args = ['rules', '-n', 'default', '--verb', 'get', '--resource', 'pods'];
      const first = run(cluster, args);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('role.rbac.authorization.k8s.io/sa-kubeconfig:rules created');

      const second = run(cluster, args);
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('serviceaccount/rules unchanged');
      expect(second.stderr).toContain(
        'role.rbac.authorization.k8s.io/sa-kubeconfig:rules unchanged',
      );
      expect(second.stderr).not.toMatch(/ (created|configured|deleted)/);

      const changed = run(cluster, [
        'rules',
        '-n',
        'default',
        '--verb',
        'get,list',
        '--resource',
        'pods,cm',
      ]);
      expect(changed.code).toBe(0);
      expect(changed.stderr).toContain(
        'role.rbac.authorization.k8s.io/sa-kubeconfig:rules configured',
      );
      const file = writeTemp('rules.kubeconfig', changed.stdout);
      expect(canI(file, 'list', 'configmaps', '-n', 'default')).toBe('yes');
      expect(canI(file, 'delete', 'pods', '-n', 'default')).toBe('no');

      const swapped = run(cluster, ['rules', '-n', 'default', '--clusterrole', 'view']);
      expect(swapped.code).toBe(0);
      expect(swapped.stderr).toContain(
        'role.rbac.authorization.k8s.io/sa-kubeconfig:rules deleted',
      );
      const roles = admin(cluster, ['get', 'roles', '-n', 'default', '-o', 'name']);
      expect(roles.stdout).not.toContain('sa-kubeconfig:rules');
    });

    it('grants cluster-wide with --cluster-wide', () => {
      const r = run(cluster, [
        'reader',
        '-n',
        'default',
        '--clusterrole',
        'view',
        '--cluster-wide',
      ]);
      expect(r.code).toBe(0);
      const file = writeTemp('reader.kubeconfig', r.stdout);
      expect(canI(file, 'list', 'pods', '-n', 'kube-system')).toBe('yes');
      expect(canI(file, 'create', 'pods', '-n', 'kube-system')).toBe('no');
    });

    it('carries tls-server-name over and the result still verifies', () => {
      const r = run(cluster, ['tls', '-n', 'default', '--tls-server-name', cluster.tlsName]);
      expect(r.code).toBe(0);
      const config = parse(r.stdout);
      expect(config.clusters[0].cluster['tls-server-name']).toBe(cluster.tlsName);
      const file = writeTemp('tls.kubeconfig', r.stdout);
      const whoami = kubectl(['--kubeconfig', file, 'auth', 'can-i', 'get', 'serviceaccounts']);
      expect(whoami.stderr).toBe('');
    });

    it('keeps the token out of -v 9 output', () => {
      const r = run(cluster, ['verbose', '-n', 'default', '-v', '9']);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('POST ');
      expect(r.stderr).not.toContain(tokenOf(r.stdout));
      expect(r.stderr).not.toContain(cluster.adminToken);
    });

    it('refuses a role that does not exist, creating nothing', () => {
      const r = run(cluster, ['ghost', '-n', 'default', '--clusterrole', 'no-such-role']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('clusterrole "no-such-role" not found');
      expect(admin(cluster, ['get', 'sa', 'ghost', '-n', 'default']).code).not.toBe(0);
    });

    it('suggests --create-namespace for a missing namespace', () => {
      const r = run(cluster, ['ci', '-n', 'no-such-ns']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'error: namespace "no-such-ns" does not exist (pass --create-namespace to create it)\n',
      );
    });

    it('explains a 403 in plain words, without a stack trace', () => {
      const alice = path.join(cluster.dir, 'alice.kubeconfig');
      const r = plugin(['ci', '-n', 'default', '--kubeconfig', alice]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: failed to .*forbidden.*alice/);
      expect(r.stderr).toContain('ask a cluster admin');
      expect(r.stderr).not.toContain('    at ');
    });

    it('lets a namespace admin bind a ClusterRole it may not read', () => {
      const ns = 'alice-admin';
      admin(cluster, ['create', 'namespace', ns]);
      makeNamespaceAdmin(cluster, ns);
      // admin holds serviceaccounts/token only from 1.22 on.
      const tokens = ['-n', ns, '--verb=create', '--resource=serviceaccounts/token'];
      admin(cluster, ['create', 'role', 'tokens', ...tokens]);
      admin(cluster, [
        'create',
        'rolebinding',
        'alice-tokens',
        '-n',
        ns,
        '--role=tokens',
        '--user=alice',
      ]);
      // RBAC reads bindings from a cache: wait until alice's are in it.
      const ready = ['auth', 'can-i', 'create', 'serviceaccounts/token', '-n', ns, '--as', 'alice'];
      waitUntil(() => admin(cluster, ready).stdout.trim() === 'yes');
      const alice = path.join(cluster.dir, 'alice.kubeconfig');
      expect(kubectl(['--kubeconfig', alice, 'get', 'clusterrole', 'edit']).code).not.toBe(0);
      const r = plugin(['deployer', '-n', ns, '--clusterrole', 'edit', '--kubeconfig', alice]);
      expect(r.stderr).toContain(
        'rolebinding.rbac.authorization.k8s.io/sa-kubeconfig:deployer:clusterrole:edit created',
      );
      expect(r.code).toBe(0);
      const file = writeTemp('deployer.kubeconfig', r.stdout);
      expect(canI(file, 'create', 'deployments.apps', '-n', ns)).toBe('yes');
    });

    it('explains an RBAC escalation refusal', () => {
      const ns = 'alice-space';
      admin(cluster, ['create', 'namespace', ns]);
      // Every verb on these but escalate and bind, so RBAC's check applies.
      admin(cluster, [
        'create',
        'role',
        'sa-admin',
        '-n',
        ns,
        '--verb=get,list,watch,create,update,patch,delete',
        '--resource=serviceaccounts,serviceaccounts/token,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io',
      ]);
      admin(cluster, [
        'create',
        'rolebinding',
        'alice-sa-admin',
        '-n',
        ns,
        '--role=sa-admin',
        '--user=alice',
      ]);
      const ready = ['auth', 'can-i', 'create', 'roles', '-n', ns, '--as', 'alice'];
      waitUntil(() => admin(cluster, ready).stdout.trim() === 'yes');
      const alice = path.join(cluster.dir, 'alice.kubeconfig');
      const r = plugin([
        'escalator',
        '-n',
        ns,
        '--verb',
        'get',
        '--resource',
        'secrets',
        '--kubeconfig',
        alice,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('RBAC lets you grant only permissions you hold yourself');
      expect(r.stderr).toContain('these changes were made before the failure and remain');
      expect(r.stderr).toContain('serviceaccount/escalator created');
    });

    it('reports an unreachable server and a TLS failure with the server and the reason', () => {
      const down = run(cluster, ['ci', '--server', 'https://127.0.0.1:1']);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('failed to connect to https://127.0.0.1:1');
      expect(down.stderr).toContain('ECONNREFUSED');

      const dir = workDir();
      const otherCa = path.join(dir, 'other-ca.crt');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=other',
          '-keyout',
          path.join(dir, 'other-ca.key'),
          '-out',
          otherCa,
          '-days',
          '1',
        ],
        { stdio: 'ignore' },
      );
      const wrongCa = run(cluster, ['ci', '--certificate-authority', otherCa]);
      expect(wrongCa.code).toBe(1);
      expect(wrongCa.stderr).toContain(`failed to verify the TLS certificate of ${cluster.server}`);
      const badName = run(cluster, ['ci', '--tls-server-name', 'wrong.example']);
      expect(badName.code).toBe(1);
      expect(badName.stderr).toContain(`failed to verify the TLS certificate of ${cluster.server}`);
    });

    it('finds the kubeconfig through KUBECONFIG, skipping missing files', () => {
      const r = plugin(['viaenv', '-n', 'default'], {
        env: { KUBECONFIG: `/nonexistent/a:${adminConfig(cluster)}` },
      });
      expect(r.code).toBe(0);
      expect(parse(r.stdout).clusters[0].cluster.server).toBe(cluster.server);
    });
  });
}

describe('on a server that caps token lifetimes', () => {
  const capped = e2e().capped;
  it.runIf(capped !== undefined)('warns and reports the lifetime it really got', () => {
    const cluster = capped as Cluster;
    const r = run(cluster, ['capped', '-n', 'default', '--duration', '24h']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: the server granted a token for 2h, shorter than the 24h');
    const c = claims(tokenOf(r.stdout));
    expect(Math.abs(c.exp - c.iat - 7200)).toBeLessThan(5);
  });
});

describe('without any kubeconfig', () => {
  it('lists the paths it checked', () => {
    const r = plugin(['ci']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('.kube/config');
    expect(r.stdout).toBe('');
  });
});
