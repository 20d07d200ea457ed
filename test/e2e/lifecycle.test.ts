/**
 * The credential lifecycle against real control planes: previews that
 * write nothing, revocable and legacy tokens, verification, rotation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import {
  type Cluster,
  admin,
  e2e,
  kubectl,
  plugin,
  workDir,
  writeTemp,
  runAsAdmin,
  tokenOf,
} from './context.js';

const run = runAsAdmin;

/** True when the API server accepts `token` (kubectl as that token). */
function accepted(cluster: Cluster, token: string): boolean {
  const file = writeTemp('probe.kubeconfig', '');
  const r = kubectl([
    '--kubeconfig',
    file,
    '--server',
    cluster.server,
    '--certificate-authority',
    cluster.caFile,
    '--token',
    token,
    'auth',
    'can-i',
    'get',
    'serviceaccounts',
  ]);
  return !r.stderr.includes('Unauthorized') && !r.stderr.includes('must be logged in');
}

/**
 * kube-apiserver caches a token's successful authentication for 10s
 * (its token cache), so revocation shows within that window, not at once.
 */
async function refusedWithin(cluster: Cluster, token: string, seconds: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    if (!accepted(cluster, token)) return (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return Number.POSITIVE_INFINITY;
}

function labelled(cluster: Cluster, ns: string, name: string): string {
  const selector = `kubectl-sa-kubeconfig/serviceaccount=${name}`;
  const kinds = 'serviceaccounts,secrets,roles,rolebindings';
  return admin(cluster, ['get', kinds, '-n', ns, '-l', selector, '-o', 'name']).stdout.trim();
}

for (const cluster of e2e().clusters) {
  describe(`lifecycle on ${cluster.name} (${cluster.version})`, () => {
    it('--dry-run=client prints committable manifests and creates nothing', () => {
      const r = run(cluster, [
        'preview',
        '-n',
        'default',
        '--clusterrole',
        'view',
        '--revocable',
        '--dry-run=client',
      ]);
      expect(r.code).toBe(0);
      const kinds = parseAllDocuments(r.stdout).map((d) => d.toJS().kind);
      expect(kinds).toEqual(['ServiceAccount', 'RoleBinding', 'Secret']);
      expect(r.stderr).toContain('no token was requested (dry run)');
      expect(labelled(cluster, 'default', 'preview')).toBe('');
    });

    it('--dry-run=server lets the API check the plan and stores nothing', () => {
      const r = run(cluster, [
        'preview2',
        '-n',
        'default',
        '--verb',
        'get',
        '--resource',
        'pods',
        '--dry-run=server',
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('serviceaccount/preview2 created (server dry run)');
      expect(r.stderr).toContain(
        'role.rbac.authorization.k8s.io/sa-kubeconfig:preview2 created (server dry run)',
      );
      expect(labelled(cluster, 'default', 'preview2')).toBe('');
    });

    it('--dry-run=server reports an RBAC refusal', () => {
      const alice = path.join(cluster.dir, 'alice.kubeconfig');
      const r = plugin([
        'preview3',
        '-n',
        'default',
        '--clusterrole',
        'edit',
        '--dry-run=server',
        '--kubeconfig',
        alice,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/forbidden/);
    });

    it('a revocable token is refused once its Secret is deleted', async () => {
      const r = run(cluster, ['revoke-me', '-n', 'default', '--revocable', '--verify']);
      expect(r.code).toBe(0);
      const token = tokenOf(r.stdout);
      expect(accepted(cluster, token)).toBe(true);
      const secret = /kubectl delete secret -n default (\S+)\)/.exec(r.stderr)?.[1];
      expect(secret).toMatch(/^sa-kubeconfig-revoke-me-/);
      admin(cluster, ['delete', 'secret', '-n', 'default', secret as string]);
      expect(await refusedWithin(cluster, token, 15)).toBeLessThan(15);
    });

    it('rotate leaves exactly one valid revocable token, in the same file', async () => {
      const file = path.join(workDir(), 'rot.kubeconfig');
      const first = run(cluster, [
        'rot',
        '-n',
        'default',
        '--revocable',
        '--clusterrole',
        'view',
        '--output-file',
        file,
      ]);
      expect(first.code).toBe(0);
      const oldToken = tokenOf(readFileSync(file, 'utf8'));

      const rotated = run(cluster, ['rotate', 'rot', '-n', 'default', '--output-file', file]);
      expect(rotated.stderr).toContain(
        'verified: the kubeconfig authenticates as system:serviceaccount:default:rot',
      );
      expect(rotated.code).toBe(0);
      expect(rotated.stderr).toContain('(its token is revoked)');
      const newToken = tokenOf(readFileSync(file, 'utf8'));
      expect(newToken).not.toBe(oldToken);
      expect(accepted(cluster, newToken)).toBe(true);
      expect(await refusedWithin(cluster, oldToken, 15)).toBeLessThan(15);
      const secrets = admin(cluster, [
        'get',
        'secrets',
        '-n',
        'default',
        '-l',
        'kubectl-sa-kubeconfig/serviceaccount=rot',
        '-o',
        'name',
      ]);
      expect(secrets.stdout.trim().split('\n')).toHaveLength(1);
    });

    it('rotate refuses an account it did not create', () => {
      admin(cluster, ['create', 'serviceaccount', 'foreign', '-n', 'default']);
      const r = run(cluster, ['rotate', 'foreign', '-n', 'default']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('was not created by kubectl-sa-kubeconfig');
    });

    it('verify fails clearly when the server refuses the token', () => {
      const r = run(cluster, ['wrong-aud', '-n', 'default', '--audience', 'vault', '--verify']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error: the new kubeconfig does not work:');
      expect(r.stderr).toContain('pass --verify=false');
    });

    it('a legacy token works, and the tool warns that it never expires', () => {
      const r = run(cluster, ['old-school', '-n', 'default', '--legacy-token', '--verify']);
      expect(r.stderr).toContain('verified:');
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('never expires');
      expect(accepted(cluster, tokenOf(r.stdout))).toBe(true);
    });
  });
}
