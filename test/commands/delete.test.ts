import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { type DeleteOptions, runDelete, validateDelete } from '../../src/commands/delete.js';
import { PartialFailureError, UsageError, UserError } from '../../src/errors.js';
import { type Route, type SeenRequest, on, status } from '../helpers/fake-api.js';
import { devKubeconfig, runAgainst } from '../helpers/harness.js';

const rbac = '/apis/rbac.authorization.k8s.io/v1';
const core = '/api/v1/namespaces/team';
const saPath = `${core}/serviceaccounts/ci`;
const selector =
  'app.kubernetes.io/managed-by=kubectl-sa-kubeconfig,' +
  'kubectl-sa-kubeconfig/serviceaccount=ci,kubectl-sa-kubeconfig/namespace=team';
const managedBy = { 'app.kubernetes.io/managed-by': 'kubectl-sa-kubeconfig' };
const labels = {
  ...managedBy,
  'kubectl-sa-kubeconfig/serviceaccount': 'ci',
  'kubectl-sa-kubeconfig/namespace': 'team',
};

function kubeconfigFile(): string {
  const dir = devKubeconfig([
    'server: "https://api.dev.example:6443"',
    'insecure-skip-tls-verify: true',
  ]);
  return path.join(dir, 'config');
}

function options(extra: Partial<DeleteOptions> = {}): DeleteOptions {
  return { name: 'ci', connection: { kubeconfig: kubeconfigFile() }, dryRun: 'none', ...extra };
}

/** What the fake cluster holds; each collection answers its label list. */
interface Objects {
  rolebindings?: string[];
  roles?: string[];
  secrets?: string[];
  clusterrolebindings?: string[];
  clusterroles?: string[];
  /** The ServiceAccount's labels; unset: it does not exist. */
  serviceAccount?: Record<string, string>;
  namespace?: Record<string, string>;
}

const collections: [keyof Objects, string][] = [
  ['rolebindings', `${rbac}/namespaces/team/rolebindings`],
  ['roles', `${rbac}/namespaces/team/roles`],
  ['secrets', `${core}/secrets`],
  ['clusterrolebindings', `${rbac}/clusterrolebindings`],
  ['clusterroles', `${rbac}/clusterroles`],
];

function cluster(objects: Objects, extra: Route[] = []): Route[] {
  const lists = collections.map(([key, url]) => {
    const names = (objects[key] as string[] | undefined) ?? [];
    const namespace = url.includes('/namespaces/') ? 'team' : undefined;
    const items = names.map((name) => ({ metadata: { name, namespace, labels } }));
    return on('GET', url, { status: 200, body: { items } });
  });
  const object =
    (url: string, name: string, l?: Record<string, string>): Route =>
    (req) => {
      if (req.method !== 'GET' || req.path !== url || !l) return undefined;
      return { status: 200, body: { metadata: { name, labels: l } } };
    };
  return [
    ...extra,
    ...lists,
    object(saPath, 'ci', objects.serviceAccount),
    object('/api/v1/namespaces/team', 'team', objects.namespace),
    (req) => (req.method === 'DELETE' ? { status: 200, body: {} } : undefined),
  ];
}

function run(opts: DeleteOptions, routes: Route[], level = 0) {
  const now = new Date('2026-12-03T10:00:00Z');
  return runAgainst(routes, now, (deps) => runDelete(validateDelete(opts), deps), level);
}

const deletes = (reqs: SeenRequest[]) => reqs.filter((r) => r.method === 'DELETE');
const deletePaths = (reqs: SeenRequest[]) => deletes(reqs).map((r) => r.path);
const gets = (reqs: SeenRequest[]) =>
  reqs.filter((r) => r.method === 'GET').map((r) => `${r.path}?${r.query.toString()}`);

const everything: Objects = {
  rolebindings: ['sa-kubeconfig:ci:clusterrole:edit', 'sa-kubeconfig:ci'],
  roles: ['sa-kubeconfig:ci'],
  secrets: ['ci-token-x7k2p'],
  clusterrolebindings: ['sa-kubeconfig:team:ci:clusterrole:view'],
  clusterroles: ['sa-kubeconfig:team:ci'],
  serviceAccount: labels,
};

describe('delete', () => {
  it('deletes bindings and Secrets, then roles, then the account', async () => {
    const r = await run(options(), cluster(everything));
    expect(r.failure).toBeUndefined();
    const query = `labelSelector=${encodeURIComponent(selector)}`;
    expect(gets(r.requests).sort()).toEqual(
      [...collections.map(([, url]) => `${url}?${query}`), `${saPath}?`].sort(),
    );
    const paths = deletePaths(r.requests);
    expect(paths.slice(0, 4).sort()).toEqual(
      [
        `${rbac}/namespaces/team/rolebindings/sa-kubeconfig:ci:clusterrole:edit`,
        `${rbac}/namespaces/team/rolebindings/sa-kubeconfig:ci`,
        `${rbac}/clusterrolebindings/sa-kubeconfig:team:ci:clusterrole:view`,
        `${core}/secrets/ci-token-x7k2p`,
      ].sort(),
    );
    expect(paths.slice(4, 6).sort()).toEqual([
      `${rbac}/clusterroles/sa-kubeconfig:team:ci`,
      `${rbac}/namespaces/team/roles/sa-kubeconfig:ci`,
    ]);
    expect(paths.slice(6)).toEqual([saPath]);
    expect(deletes(r.requests).every((q) => !q.query.has('dryRun'))).toBe(true);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'rolebinding.rbac.authorization.k8s.io/sa-kubeconfig:ci deleted',
        'rolebinding.rbac.authorization.k8s.io/sa-kubeconfig:ci:clusterrole:edit deleted',
        'clusterrolebinding.rbac.authorization.k8s.io/sa-kubeconfig:team:ci:clusterrole:view' +
          ' deleted',
        'secret/ci-token-x7k2p deleted',
        'role.rbac.authorization.k8s.io/sa-kubeconfig:ci deleted',
        'clusterrole.rbac.authorization.k8s.io/sa-kubeconfig:team:ci deleted',
        'serviceaccount/ci deleted',
        '',
      ].join('\n'),
    );
  });

  it('keeps a ServiceAccount it only reused', async () => {
    const objects = { rolebindings: ['sa-kubeconfig:ci:clusterrole:edit'], serviceAccount: {} };
    const r = await run(options(), cluster(objects));
    expect(r.failure).toBeUndefined();
    expect(deletePaths(r.requests)).toEqual([
      `${rbac}/namespaces/team/rolebindings/sa-kubeconfig:ci:clusterrole:edit`,
    ]);
    expect(r.stderr).toBe(
      'rolebinding.rbac.authorization.k8s.io/sa-kubeconfig:ci:clusterrole:edit deleted\n' +
        'serviceaccount/ci kept (this tool did not create it)\n',
    );
  });

  it('deletes an account that has no grants', async () => {
    const r = await run(options(), cluster({ serviceAccount: labels }));
    expect(deletePaths(r.requests)).toEqual([saPath]);
    expect(r.stderr).toBe('serviceaccount/ci deleted\n');
  });

  it('deletes grants left behind by an account that is gone', async () => {
    const r = await run(options(), cluster({ roles: ['sa-kubeconfig:ci'] }), 1);
    expect(r.failure).toBeUndefined();
    expect(deletePaths(r.requests)).toEqual([`${rbac}/namespaces/team/roles/sa-kubeconfig:ci`]);
    expect(r.stderr).toContain('role.rbac.authorization.k8s.io/sa-kubeconfig:ci deleted\n');
    expect(r.stderr).toContain('serviceaccount "team/ci" does not exist\n');
  });

  it('sends no DELETE with --dry-run=client', async () => {
    const r = await run(options({ dryRun: 'client' }), cluster(everything));
    expect(r.failure).toBeUndefined();
    expect(deletes(r.requests)).toEqual([]);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines.every((l) => l.endsWith(' deleted (dry run)'))).toBe(true);
    expect(lines[6]).toBe('serviceaccount/ci deleted (dry run)');
  });

  it('sends each DELETE with dryRun=All with --dry-run=server', async () => {
    const objects = { roles: ['sa-kubeconfig:ci'], serviceAccount: {} };
    const r = await run(options({ dryRun: 'server' }), cluster(objects));
    expect(r.failure).toBeUndefined();
    expect(deletes(r.requests).map((q) => [q.path, q.query.get('dryRun')])).toEqual([
      [`${rbac}/namespaces/team/roles/sa-kubeconfig:ci`, 'All'],
    ]);
    expect(r.stderr).toBe(
      'role.rbac.authorization.k8s.io/sa-kubeconfig:ci deleted (server dry run)\n' +
        'serviceaccount/ci kept (this tool did not create it)\n',
    );
  });

  it('fails when it finds nothing', async () => {
    const r = await run(options(), cluster({}));
    expect(r.failure).toBeInstanceOf(UserError);
    expect((r.failure as Error).message).toBe(
      'no objects made by kubectl-sa-kubeconfig for serviceaccount "team/ci" were found' +
        ' (see the accounts it manages with "kubectl sa-kubeconfig list -A")',
    );
    expect(deletes(r.requests)).toEqual([]);
    expect(r.stderr).toBe('');
  });

  it('fails on an account it did not create and holds nothing for', async () => {
    const r = await run(options(), cluster({ serviceAccount: { team: 'platform' } }));
    expect((r.failure as Error).message).toBe(
      'serviceaccount "team/ci" was not created by kubectl-sa-kubeconfig and holds nothing it' +
        ' made, so nothing was deleted' +
        ' (to delete the account itself: kubectl delete serviceaccount ci -n team)',
    );
    expect(deletes(r.requests)).toEqual([]);
  });

  it('deletes nothing when cluster-wide grants cannot be listed', async () => {
    const refuse = on(
      'GET',
      `${rbac}/clusterrolebindings`,
      status(403, 'Forbidden', 'clusterrolebindings.rbac.authorization.k8s.io is forbidden'),
    );
    const r = await run(options(), cluster(everything, [refuse]));
    expect(r.failure).toBeInstanceOf(UserError);
    expect(r.failure).not.toBeInstanceOf(PartialFailureError);
    expect((r.failure as Error).message).toBe(
      'failed to delete serviceaccount "team/ci": nothing was deleted, since its cluster-wide' +
        ' grants cannot be listed (one left behind would hold for any new account of that' +
        ' name): failed to list clusterrolebindings:' +
        ' clusterrolebindings.rbac.authorization.k8s.io is forbidden' +
        ' (you need permission to list clusterrolebindings cluster-wide: ask a cluster admin)',
    );
    expect(deletes(r.requests)).toEqual([]);
  });

  it('reports a namespaced list failure as it is, before a cluster-scoped one', async () => {
    const forbid = (url: string, what: string) =>
      on('GET', url, status(403, 'Forbidden', `${what} is forbidden`));
    const r = await run(
      options(),
      cluster(everything, [
        forbid(`${rbac}/clusterroles`, 'clusterroles'),
        forbid(`${rbac}/namespaces/team/roles`, 'roles'),
      ]),
    );
    expect((r.failure as Error).message).toBe(
      'failed to list roles: roles is forbidden' +
        ' (you need permission to list roles in namespace "team": ask a cluster admin)',
    );
    expect(deletes(r.requests)).toEqual([]);
  });

  it('stops after a failed step and reports what it deleted', async () => {
    const refuse = on(
      'DELETE',
      `${rbac}/namespaces/team/rolebindings/sa-kubeconfig:ci`,
      status(403, 'Forbidden', 'rolebindings "sa-kubeconfig:ci" is forbidden'),
    );
    const objects = { ...everything, clusterrolebindings: [], clusterroles: [] };
    const r = await run(options(), cluster(objects, [refuse]));
    expect(r.failure).toBeInstanceOf(PartialFailureError);
    const failure = r.failure as PartialFailureError;
    expect(failure.message).toBe(
      'failed to delete rolebinding "team/sa-kubeconfig:ci":' +
        ' rolebindings "sa-kubeconfig:ci" is forbidden' +
        ' (you need permission to delete rolebindings in namespace "team": ask a cluster admin)',
    );
    expect(failure.state).toEqual([
      'rolebinding.rbac.authorization.k8s.io/sa-kubeconfig:ci:clusterrole:edit deleted',
      'secret/ci-token-x7k2p deleted',
    ]);
    expect(deletePaths(r.requests)).toHaveLength(3);
    expect(deletePaths(r.requests)).not.toContain(saPath);
  });

  it('reports every failure of a step, and none as done when nothing was deleted', async () => {
    const refuse = (name: string) =>
      on('DELETE', `${core}/secrets/${name}`, status(500, 'InternalError', `etcd down: ${name}`));
    const objects = { secrets: ['a', 'b'], serviceAccount: labels };
    const r = await run(options(), cluster(objects, [refuse('a'), refuse('b')]));
    expect(r.failure).toBeInstanceOf(UserError);
    expect(r.failure).not.toBeInstanceOf(PartialFailureError);
    expect((r.failure as Error).message).toBe(
      'failed to delete secret "team/a": etcd down: a\n' +
        'failed to delete secret "team/b": etcd down: b',
    );
    expect(deletePaths(r.requests)).not.toContain(saPath);
    expect(r.stderr).toBe('');
  });

  it('says at -v 1 what was already gone and that its namespace stays', async () => {
    const gone = on('DELETE', `${core}/secrets/ci-token-x7k2p`, status(404, 'NotFound', 'gone'));
    const objects = { secrets: ['ci-token-x7k2p'], serviceAccount: labels, namespace: managedBy };
    const quiet = await run(options(), cluster(objects, [gone]));
    expect(quiet.stderr).toBe('serviceaccount/ci deleted\n');
    expect(quiet.requests.some((q) => q.path === '/api/v1/namespaces/team')).toBe(false);

    const r = await run(options(), cluster(objects, [gone]), 1);
    expect(r.failure).toBeUndefined();
    expect(r.stderr).toContain('secret/ci-token-x7k2p was already gone\n');
    expect(r.stderr).toContain(
      'namespace/team kept (made by --create-namespace, but it may hold other objects:' +
        ' kubectl delete namespace team removes it)\n',
    );
    expect(deletePaths(r.requests)).not.toContain('/api/v1/namespaces/team');
  });

  it('says nothing of a namespace it did not make, or cannot read', async () => {
    const objects = { serviceAccount: labels, namespace: {} };
    const plain = await run(options(), cluster(objects), 1);
    expect(plain.stderr).not.toContain('namespace/team');

    const refuse = on('GET', '/api/v1/namespaces/team', status(403, 'Forbidden', 'no namespaces'));
    const r = await run(options(), cluster(objects, [refuse]), 1);
    expect(r.failure).toBeUndefined();
    expect(r.stderr).toContain(
      'not checking who made namespace "team": failed to get namespace "team": no namespaces',
    );
    expect(r.stderr).toContain('serviceaccount/ci deleted\n');
  });
});

describe('validateDelete', () => {
  const cases: [string, Partial<DeleteOptions>, string][] = [
    ['an empty name', { name: '' }, 'NAME must not be empty'],
    ['a bad name', { name: 'CI_1' }, 'invalid NAME "CI_1"'],
    ['a bad namespace', { connection: { namespace: 'a.b' } }, 'invalid --namespace "a.b"'],
    [
      'a bad --dry-run',
      { dryRun: 'yes' as DeleteOptions['dryRun'] },
      '--dry-run must be none, client or server, not "yes"',
    ],
  ];
  for (const [name, extra, message] of cases) {
    it(`rejects ${name}`, () => {
      const o = { name: 'ci', connection: {}, dryRun: 'none' as const, ...extra };
      expect(() => validateDelete(o)).toThrow(UsageError);
      expect(() => validateDelete(o)).toThrow(message);
    });
  }

  it('accepts a name, a namespace and each --dry-run mode', () => {
    for (const dryRun of ['none', 'client', 'server'] as const) {
      const o = { name: 'ci.bot', connection: { namespace: 'team' }, dryRun };
      expect(validateDelete(o)).toEqual(o);
    }
  });
});
