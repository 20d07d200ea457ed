import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { type ListOptions, humanAge, runList, validateList } from '../../src/commands/list.js';
import { UsageError, UserError } from '../../src/errors.js';
import { type Route, type SeenRequest, on, status } from '../helpers/fake-api.js';
import { devKubeconfig, runAgainst } from '../helpers/harness.js';

const rbac = '/apis/rbac.authorization.k8s.io/v1';
const managed = 'app.kubernetes.io/managed-by=kubectl-sa-kubeconfig';
const inTeam = `${managed},kubectl-sa-kubeconfig/namespace=team`;
const now = new Date('2026-12-03T10:00:00Z');

function kubeconfigFile(): string {
  const dir = devKubeconfig([
    'server: "https://api.dev.example:6443"',
    'insecure-skip-tls-verify: true',
  ]);
  return path.join(dir, 'config');
}

function options(extra: Partial<ListOptions> = {}): ListOptions {
  return {
    connection: { kubeconfig: kubeconfigFile() },
    allNamespaces: false,
    output: 'table',
    ...extra,
  };
}

/** Object builders: every object carries the labels create gives it. */
function labelsOf(account: string, namespace = 'team'): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'kubectl-sa-kubeconfig',
    'kubectl-sa-kubeconfig/serviceaccount': account,
    'kubectl-sa-kubeconfig/namespace': namespace,
  };
}

function serviceAccount(name: string, created: string, annotations?: Record<string, string>) {
  const metadata = { name, namespace: 'team', labels: labelsOf(name), annotations };
  return { metadata: { ...metadata, creationTimestamp: created } };
}

/** A binding of `role` ("ClusterRole/edit") to `account` of `namespace`. */
function binding(name: string, account: string, role: string, created: string, namespace = 'team') {
  const [kind, roleName] = role.split('/');
  return {
    metadata: { name, labels: labelsOf(account, namespace), creationTimestamp: created },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
  };
}

function secret(name: string, account: string, kind: string, created: string, expires?: string) {
  const labels = { ...labelsOf(account), 'kubectl-sa-kubeconfig/token-kind': kind };
  const annotations = expires ? { 'kubectl-sa-kubeconfig/expires': expires } : undefined;
  return { metadata: { name, namespace: 'team', labels, annotations, creationTimestamp: created } };
}

const list = (items: unknown[]) => ({ status: 200, body: { items } });

/** The team namespace: one of each kind of account. */
const team = {
  serviceaccounts: [
    serviceAccount('ci', '2026-12-01T08:00:00Z'),
    serviceAccount('old-bot', '2026-10-01T00:00:00Z', {
      'kubectl-sa-kubeconfig/token-kind': 'legacy',
    }),
    serviceAccount('expired-bot', '2026-12-03T09:58:30Z', {
      'kubectl-sa-kubeconfig/token-kind': 'revocable',
    }),
    serviceAccount('revoked-bot', '2026-12-03T07:00:00Z', {
      'kubectl-sa-kubeconfig/token-kind': 'revocable',
    }),
  ],
  rolebindings: [
    binding('sa-kubeconfig:ci:clusterrole:edit', 'ci', 'ClusterRole/edit', '2026-12-01T08:00:00Z'),
    binding('sa-kubeconfig:ci', 'ci', 'Role/sa-kubeconfig:ci', '2026-12-01T08:00:00Z'),
    binding('sa-kubeconfig:deploy:role:x', 'deploy', 'Role/deployer', '2026-12-03T09:55:00Z'),
  ],
  clusterrolebindings: [
    binding('sa-kubeconfig:team:ci:view', 'ci', 'ClusterRole/view', '2026-12-02T00:00:00Z'),
  ],
  secrets: [
    secret('ci-token-old', 'ci', 'revocable', '2026-12-02T10:00:00Z', '2026-12-03T10:00:00.000Z'),
    secret('ci-token-new', 'ci', 'revocable', '2026-12-03T09:00:00Z', '2026-12-04T09:00:00.000Z'),
    secret('old-bot-token', 'old-bot', 'legacy', '2026-10-01T00:00:00Z'),
    secret(
      'expired-bot-1',
      'expired-bot',
      'revocable',
      '2026-12-03T09:58:30Z',
      '2026-12-03T09:59:00Z',
    ),
  ],
};

function teamRoutes(extra: Route[] = []): Route[] {
  return [
    ...extra,
    on('GET', '/api/v1/namespaces/team/serviceaccounts', list(team.serviceaccounts)),
    on('GET', `${rbac}/namespaces/team/rolebindings`, list(team.rolebindings)),
    on('GET', '/api/v1/namespaces/team/secrets', list(team.secrets)),
    on('GET', `${rbac}/clusterrolebindings`, list(team.clusterrolebindings)),
  ];
}

function emptyRoutes(prefix: string): Route[] {
  return [
    on('GET', `/api/v1${prefix}/serviceaccounts`, list([])),
    on('GET', `${rbac}${prefix}/rolebindings`, list([])),
    on('GET', `/api/v1${prefix}/secrets`, list([])),
    on('GET', `${rbac}/clusterrolebindings`, list([])),
  ];
}

function run(opts: ListOptions, routes: Route[]) {
  return runAgainst(routes, now, (deps) => runList(validateList(opts), deps));
}

const seen = (reqs: SeenRequest[]) =>
  reqs.map((r) => `${r.method} ${r.path} ${r.query.get('labelSelector')}`).sort();

/**
 * kubectl's layout with the column widths written out: the widest cell
 * plus 3 spaces; the last column is not padded.
 */
function layout(widths: number[], rows: string[][]): string {
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]) : cell)).join('');
  return `${rows.map(line).join('\n')}\n`;
}

const allGrants = 'clusterrole/edit,role/sa-kubeconfig:ci,clusterrole/view (cluster-wide)';
const table = layout(
  [14, 73, 12, 33],
  [
    ['NAME', 'GRANTS', 'TOKEN', 'EXPIRES', 'AGE'],
    ['ci', allGrants, 'revocable', '2026-12-04T09:00:00.000Z', '2d2h'],
    ['deploy', 'role/deployer', 'bound', 'unknown', '5m'],
    ['expired-bot', '<none>', 'revocable', '2026-12-03T09:59:00Z (expired)', '90s'],
    ['old-bot', '<none>', 'legacy', 'never', '63d'],
    ['revoked-bot', '<none>', 'revocable', 'unknown', '3h'],
  ],
);

describe('list', () => {
  it('prints the accounts of the namespace as a kubectl table', async () => {
    const r = await run(options(), teamRoutes());
    expect(r.failure).toBeUndefined();
    expect(seen(r.requests)).toEqual(
      [
        `GET /api/v1/namespaces/team/serviceaccounts ${inTeam}`,
        `GET ${rbac}/namespaces/team/rolebindings ${inTeam}`,
        `GET /api/v1/namespaces/team/secrets ${inTeam}`,
        `GET ${rbac}/clusterrolebindings ${inTeam}`,
      ].sort(),
    );
    expect(r.stdout).toBe(table);
    expect(r.stderr).toBe('');
  });

  it('adds SECRETS and CREATED with -o wide', async () => {
    const r = await run(options({ output: 'wide' }), teamRoutes());
    expect(r.stdout).toBe(
      layout(
        [14, 73, 12, 33, 7, 28],
        [
          ['NAME', 'GRANTS', 'TOKEN', 'EXPIRES', 'AGE', 'SECRETS', 'CREATED'],
          [
            'ci',
            allGrants,
            'revocable',
            '2026-12-04T09:00:00.000Z',
            '2d2h',
            'ci-token-new,ci-token-old',
            '2026-12-01T08:00:00Z',
          ],
          ['deploy', 'role/deployer', 'bound', 'unknown', '5m', '<none>', '2026-12-03T09:55:00Z'],
          [
            'expired-bot',
            '<none>',
            'revocable',
            '2026-12-03T09:59:00Z (expired)',
            '90s',
            'expired-bot-1',
            '2026-12-03T09:58:30Z',
          ],
          ['old-bot', '<none>', 'legacy', 'never', '63d', 'old-bot-token', '2026-10-01T00:00:00Z'],
          ['revoked-bot', '<none>', 'revocable', 'unknown', '3h', '<none>', '2026-12-03T07:00:00Z'],
        ],
      ),
    );
  });

  it('lists every namespace with -A, with a NAMESPACE column', async () => {
    // The ClusterRoleBinding names its account's namespace in a label only.
    const crb = binding(
      'sa-kubeconfig:prod:web:clusterrole:view',
      'web',
      'ClusterRole/view',
      '2026-11-03T10:00:00Z',
      'prod',
    );
    const routes = [
      on('GET', '/api/v1/serviceaccounts', list([serviceAccount('ci', '2026-12-03T09:00:00Z')])),
      on('GET', `${rbac}/rolebindings`, list([])),
      on('GET', '/api/v1/secrets', list([])),
      on('GET', `${rbac}/clusterrolebindings`, list([crb])),
    ];
    const r = await run(options({ allNamespaces: true }), routes);
    expect(r.failure).toBeUndefined();
    expect(seen(r.requests)).toEqual(
      [
        `GET /api/v1/serviceaccounts ${managed}`,
        `GET ${rbac}/rolebindings ${managed}`,
        `GET /api/v1/secrets ${managed}`,
        `GET ${rbac}/clusterrolebindings ${managed}`,
      ].sort(),
    );
    expect(r.stdout).toBe(
      [
        'NAMESPACE   NAME   GRANTS                            TOKEN   EXPIRES   AGE',
        'prod        web    clusterrole/view (cluster-wide)   bound   unknown   30d',
        'team        ci     <none>                            bound   unknown   60m',
        '',
      ].join('\n'),
    );
  });

  it('prints a stable document with -o json and -o yaml', async () => {
    const json = await run(options({ output: 'json' }), teamRoutes());
    expect(json.stderr).toBe('');
    expect(json.stdout.endsWith('}\n')).toBe(true);
    const doc = JSON.parse(json.stdout);
    expect(json.stdout).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(doc.apiVersion).toBe('kubectl-sa-kubeconfig/v1');
    expect(doc.kind).toBe('AccountList');
    expect(doc.items.map((i: { name: string }) => i.name)).toEqual([
      'ci',
      'deploy',
      'expired-bot',
      'old-bot',
      'revoked-bot',
    ]);
    expect(doc.items[0]).toEqual({
      namespace: 'team',
      name: 'ci',
      managed: true,
      grants: [
        { kind: 'ClusterRole', name: 'edit', clusterWide: false },
        { kind: 'Role', name: 'sa-kubeconfig:ci', clusterWide: false },
        { kind: 'ClusterRole', name: 'view', clusterWide: true },
      ],
      tokenKind: 'revocable',
      expires: '2026-12-04T09:00:00.000Z',
      secrets: ['ci-token-new', 'ci-token-old'],
      created: '2026-12-01T08:00:00Z',
    });
    expect(doc.items[1]).toEqual({
      namespace: 'team',
      name: 'deploy',
      managed: false,
      grants: [{ kind: 'Role', name: 'deployer', clusterWide: false }],
      tokenKind: 'bound',
      expires: null,
      secrets: [],
      created: '2026-12-03T09:55:00Z',
    });
    expect(doc.items[3]).toMatchObject({ tokenKind: 'legacy', expires: 'never' });
    expect(doc.items[4]).toMatchObject({ tokenKind: 'revocable', expires: null, secrets: [] });

    const yaml = await run(options({ output: 'yaml' }), teamRoutes());
    expect(yaml.stdout).toMatch(/^apiVersion: kubectl-sa-kubeconfig\/v1\nkind: AccountList\n/);
    expect(parse(yaml.stdout)).toEqual(doc);
  });

  it('says so on stderr when there is nothing, as kubectl does', async () => {
    const r = await run(options(), emptyRoutes('/namespaces/team'));
    expect(r.failure).toBeUndefined();
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('No resources found in team namespace.\n');

    const all = await run(options({ allNamespaces: true }), emptyRoutes(''));
    expect(all.stdout).toBe('');
    expect(all.stderr).toBe('No resources found\n');
  });

  it('prints an empty document with -o json', async () => {
    const r = await run(options({ output: 'json' }), emptyRoutes('/namespaces/team'));
    expect(JSON.parse(r.stdout)).toEqual({
      apiVersion: 'kubectl-sa-kubeconfig/v1',
      kind: 'AccountList',
      items: [],
    });
    expect(r.stderr).toBe('');
  });

  it('warns and lists the rest when ClusterRoleBindings are refused', async () => {
    const refuse = on(
      'GET',
      `${rbac}/clusterrolebindings`,
      status(403, 'Forbidden', 'clusterrolebindings.rbac.authorization.k8s.io is forbidden'),
    );
    const r = await run(options(), teamRoutes([refuse]));
    expect(r.failure).toBeUndefined();
    expect(r.stderr).toBe(
      'Warning: cluster-wide grants are not shown: failed to list clusterrolebindings:' +
        ' clusterrolebindings.rbac.authorization.k8s.io is forbidden' +
        ' (you need permission to list clusterrolebindings cluster-wide: ask a cluster admin)\n',
    );
    expect(r.stdout.split('\n')[1]).toMatch(/^ci +clusterrole\/edit,role\/sa-kubeconfig:ci {3}/);
  });

  it('fails when a namespaced list fails, without the cluster-wide warning', async () => {
    const refuse = (url: string) => on('GET', url, status(403, 'Forbidden', 'forbidden'));
    const routes = teamRoutes([
      refuse('/api/v1/namespaces/team/secrets'),
      refuse(`${rbac}/clusterrolebindings`),
    ]);
    const r = await run(options(), routes);
    expect(r.failure).toBeInstanceOf(UserError);
    expect((r.failure as Error).message).toBe(
      'failed to list secrets: forbidden' +
        ' (you need permission to list secrets in namespace "team": ask a cluster admin)',
    );
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });

  it('skips objects whose labels or roleRef are incomplete', async () => {
    const managedBy = { 'app.kubernetes.io/managed-by': 'kubectl-sa-kubeconfig' };
    const unlabelled = { metadata: { name: 'x', labels: managedBy } };
    const edit = binding('b', 'ci', 'ClusterRole/edit', '2026-12-03T09:00:00Z');
    const noRole = { ...edit, roleRef: {} };
    const routes = [
      on('GET', '/api/v1/namespaces/team/serviceaccounts', list([{ metadata: {} }])),
      on('GET', `${rbac}/namespaces/team/rolebindings`, list([unlabelled, noRole])),
      on('GET', '/api/v1/namespaces/team/secrets', list([unlabelled])),
      on('GET', `${rbac}/clusterrolebindings`, list([])),
    ];
    const r = await run(options({ output: 'json' }), routes);
    expect(JSON.parse(r.stdout).items).toEqual([
      {
        namespace: 'team',
        name: 'ci',
        managed: false,
        grants: [],
        tokenKind: 'bound',
        expires: null,
        secrets: [],
        created: '2026-12-03T09:00:00Z',
      },
    ]);
  });
});

describe('humanAge', () => {
  const s = 1000;
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [-1 * s, '0s'],
    [0, '0s'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [9 * 60 * s + 30 * s, '9m30s'],
    [10 * 60 * s + 30 * s, '10m'],
    [179 * 60 * s, '179m'],
    [3 * 3600 * s, '3h'],
    [7 * 3600 * s + 59 * 60 * s, '7h59m'],
    [8 * 3600 * s + 30 * 60 * s, '8h'],
    [47 * 3600 * s, '47h'],
    [48 * 3600 * s, '2d'],
    [7 * 86400 * s + 23 * 3600 * s, '7d23h'],
    [8 * 86400 * s + 5 * 3600 * s, '8d'],
    [729 * 86400 * s, '729d'],
    [730 * 86400 * s, '2y'],
    [3 * 365 * 86400 * s + 10 * 86400 * s, '3y10d'],
    [9 * 365 * 86400 * s, '9y'],
  ];
  for (const [ms, text] of cases) {
    it(`formats ${ms} ms as ${text}`, () => expect(humanAge(ms)).toBe(text));
  }
});

describe('validateList', () => {
  it('rejects an unknown --output', () => {
    const o = { connection: {}, allNamespaces: false, output: 'name' };
    expect(() => validateList(o)).toThrow(UsageError);
    expect(() => validateList(o)).toThrow('--output must be table, wide, json or yaml, not "name"');
  });

  it('rejects a bad --namespace', () => {
    const o = { connection: { namespace: 'Team' }, allNamespaces: false, output: 'table' };
    expect(() => validateList(o)).toThrow(UsageError);
    expect(() => validateList(o)).toThrow('invalid --namespace "Team"');
  });

  it('accepts each output format', () => {
    for (const output of ['table', 'wide', 'json', 'yaml']) {
      const o = { connection: { namespace: 'team' }, allNamespaces: true, output };
      expect(validateList(o)).toEqual(o);
    }
  });
});
