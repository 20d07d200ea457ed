import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { type CreateFlags, runCreate, validateCreate } from '../../src/commands/create.js';
import { PartialFailureError, UsageError, UserError } from '../../src/errors.js';
import { type Route, type SeenRequest, on, status } from '../helpers/fake-api.js';
import { callerToken, devKubeconfig, runAgainst } from '../helpers/harness.js';

const token = 'fake-issued-token-0123456789';
const fakeCa = readFileSync(new URL('../fixtures/kubeconfig/pki/ca.crt', import.meta.url), 'utf8');

function kubeconfigDir(): string {
  const dir = devKubeconfig([
    'server: https://api.dev.example:6443',
    'certificate-authority: ca.crt',
    'tls-server-name: api.internal',
    'proxy-url: http://proxy.example:3128',
  ]);
  writeFileSync(path.join(dir, 'ca.crt'), fakeCa);
  return dir;
}

function flags(dir: string, extra: Partial<CreateFlags> = {}): CreateFlags {
  return {
    name: 'jenkins',
    connection: { kubeconfig: path.join(dir, 'config') },
    clusterRoles: [],
    roles: [],
    verbs: [],
    resources: [],
    resourceNames: [],
    clusterWide: false,
    createNamespace: false,
    audiences: [],
    output: 'yaml',
    force: false,
    ...extra,
  };
}

const now = new Date('2026-12-03T10:00:00Z');
const list = (items: unknown[] = []) => ({ status: 200, body: { items } });
const saPath = '/api/v1/namespaces/team/serviceaccounts/jenkins';

function tokenRoute(seconds = 3600): Route {
  return on('POST', `${saPath}/token`, (req) => {
    const spec = (req.body as { spec: { expirationSeconds?: number } }).spec;
    const granted = Math.min(spec.expirationSeconds ?? 3600, seconds);
    const expirationTimestamp = new Date(now.getTime() + granted * 1000).toISOString();
    return { status: 201, body: { status: { token, expirationTimestamp } } };
  });
}

const whoami = on('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
  status: 201,
  body: { status: { userInfo: { username: 'system:serviceaccount:team:jenkins' } } },
});
const rulesReview = on('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
  status: 201,
  body: { status: { resourceRules: [{ verbs: ['get', 'list'], resources: ['pods'] }] } },
});

/** A cluster where nothing exists yet and every write succeeds. */
function emptyCluster(extra: Route[] = [], tokenSeconds = 3600): Route[] {
  return [
    ...extra,
    whoami,
    rulesReview,
    on('GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', list()),
    on('GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', list()),
    on('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', list()),
    on('GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', list()),
    on('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/edit', { status: 200, body: {} }),
    (req) => (req.method === 'PATCH' ? { status: 200, body: req.body } : undefined),
    tokenRoute(tokenSeconds),
  ];
}

function run(f: CreateFlags, routes: Route[]) {
  return runAgainst(routes, now, (deps) => runCreate(validateCreate(f), deps));
}

const writes = (reqs: SeenRequest[]) =>
  reqs.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);

describe('create', () => {
  it('creates the account, binds a clusterrole and prints a kubeconfig', async () => {
    const dir = kubeconfigDir();
    const r = await run(
      flags(dir, { clusterRoles: ['edit'], duration: '24h' }),
      emptyCluster([], 90000),
    );
    expect(r.failure).toBeUndefined();
    const rb = '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings';
    expect(writes(r.requests)[0]).toBe(`PATCH ${saPath}`);
    expect(writes(r.requests).sort()).toEqual(
      [
        `PATCH ${saPath}`,
        `POST ${saPath}/token`,
        `PATCH ${rb}/sa-kubeconfig:jenkins:clusterrole:edit`,
      ].sort(),
    );

    const sa = r.requests.find((q) => q.method === 'PATCH' && q.path === saPath);
    expect(sa?.headers['Content-Type']).toBe('application/apply-patch+yaml');
    expect(sa?.query.get('fieldManager')).toBe('kubectl-sa-kubeconfig');
    expect(sa?.headers.Authorization).toBe(`Bearer ${callerToken}`);
    const binding = r.requests.find(
      (q) => q.method === 'PATCH' && q.path.includes('rolebindings/'),
    );
    expect(binding?.body).toMatchObject({
      kind: 'RoleBinding',
      roleRef: { kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: 'jenkins', namespace: 'team' }],
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'kubectl-sa-kubeconfig' } },
    });
    const tokenReq = r.requests.find((q) => q.path.endsWith('/token'));
    expect(tokenReq?.body).toMatchObject({ spec: { expirationSeconds: 86400 } });

    const config = parse(r.stdout);
    expect(config.clusters).toEqual([
      {
        name: 'sa-kubeconfig@dev-cluster',
        cluster: {
          'certificate-authority-data': Buffer.from(fakeCa).toString('base64'),
          'proxy-url': 'http://proxy.example:3128',
          server: 'https://api.dev.example:6443',
          'tls-server-name': 'api.internal',
        },
      },
    ]);
    expect(config.users).toEqual([{ name: 'team/jenkins@dev-cluster', user: { token } }]);
    expect(config['current-context']).toBe('team/jenkins@dev-cluster');
    expect(config.contexts[0].context.namespace).toBe('team');
    expect(r.stderr).toContain('serviceaccount/jenkins created\n');
    expect(r.stderr).toContain(
      'rolebinding.rbac.authorization.k8s.io/sa-kubeconfig:jenkins:clusterrole:edit created\n',
    );
    expect(r.stderr).toContain('expires 2026-12-04T10:00:00.000Z (in 24h)');
    expect(r.stderr).not.toContain(token);
    expect(r.stderr).not.toContain(callerToken);
  });

  it('warns when the server grants a shorter token than asked', async () => {
    const r = await run(flags(kubeconfigDir(), { duration: '48h' }), emptyCluster([], 7200));
    expect(r.stderr).toContain(
      'Warning: the server granted a token for 2h, shorter than the 48h asked for',
    );
  });

  it('says so when no access is granted', async () => {
    const r = await run(flags(kubeconfigDir()), emptyCluster());
    expect(r.stderr).toContain('Warning: serviceaccount "team/jenkins" has no permissions');
  });

  it('reuses an account it did not create without touching it', async () => {
    const existing = on('GET', saPath, { status: 200, body: { metadata: { name: 'jenkins' } } });
    const r = await run(flags(kubeconfigDir()), emptyCluster([existing]));
    expect(writes(r.requests)).toEqual([`POST ${saPath}/token`]);
    expect(r.stderr).toContain('serviceaccount/jenkins reused');
  });

  it('refuses a clusterrole that does not exist before writing anything', async () => {
    const r = await run(flags(kubeconfigDir(), { clusterRoles: ['nope'] }), emptyCluster());
    expect(r.failure).toBeInstanceOf(UserError);
    expect((r.failure as Error).message).toBe(
      'cannot grant access to "team/jenkins": clusterrole "nope" not found' +
        ' (check the name with `kubectl get clusterroles` or `kubectl get roles -n NAMESPACE`)',
    );
    expect(writes(r.requests)).toEqual([]);
  });

  it('reports what exists when a binding is refused', async () => {
    const refuse = on(
      'PATCH',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/sa-kubeconfig:jenkins:clusterrole:edit',
      status(403, 'Forbidden', 'rolebindings.rbac.authorization.k8s.io is forbidden: cannot bind'),
    );
    const r = await run(flags(kubeconfigDir(), { clusterRoles: ['edit'] }), emptyCluster([refuse]));
    expect(r.failure).toBeInstanceOf(PartialFailureError);
    expect((r.failure as PartialFailureError).state).toContain('serviceaccount/jenkins created');
    expect((r.failure as Error).message).toContain(
      '(to bind a role you must hold all its permissions',
    );
  });

  it('explains a missing namespace', async () => {
    const missing = on('PATCH', saPath, status(404, 'NotFound', 'namespaces "team" not found'));
    const r = await run(flags(kubeconfigDir()), emptyCluster([missing]));
    expect((r.failure as Error).message).toBe(
      'namespace "team" does not exist (pass --create-namespace to create it)',
    );
    expect(r.stderr).toBe('');
  });

  it('removes grants no longer asked for', async () => {
    const old = on(
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings',
      list([{ metadata: { name: 'sa-kubeconfig:jenkins:clusterrole:view', namespace: 'team' } }]),
    );
    const del = on(
      'DELETE',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/sa-kubeconfig:jenkins:clusterrole:view',
      { status: 200, body: {} },
    );
    const r = await run(
      flags(kubeconfigDir(), { clusterRoles: ['edit'] }),
      emptyCluster([old, del]),
    );
    expect(r.failure).toBeUndefined();
    expect(r.stderr).toContain(
      'rolebinding.rbac.authorization.k8s.io/sa-kubeconfig:jenkins:clusterrole:view deleted',
    );
  });

  it('writes a 0600 file and refuses to overwrite it without --force', async () => {
    const dir = kubeconfigDir();
    const file = path.join(dir, 'out.kubeconfig');
    const r = await run(flags(dir, { outputFile: file }), emptyCluster());
    expect(r.failure).toBeUndefined();
    expect(r.stdout).toBe('');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parse(readFileSync(file, 'utf8')).users[0].user.token).toBe(token);

    const again = await run(flags(dir, { outputFile: file }), emptyCluster());
    expect((again.failure as Error).message).toBe(
      `"${file}" already exists (pass --force to replace it)`,
    );
    expect(again.requests).toEqual([]);
  });
});

describe('create --verify', () => {
  it('reports the identity and a can-i summary from the written file', async () => {
    const dir = kubeconfigDir();
    const r = await run(flags(dir, { outputFile: path.join(dir, 'v.kubeconfig') }), emptyCluster());
    expect(r.failure).toBeUndefined();
    expect(r.stderr).toContain(
      'verified: the kubeconfig authenticates as system:serviceaccount:team:jenkins (SelfSubjectReview)',
    );
    expect(r.stderr).toContain('    get,list pods\n');
    const review = r.requests.find((q) => q.path.endsWith('/selfsubjectreviews'));
    expect(review?.headers.Authorization).toBe(`Bearer ${token}`);
  });

  it('fails clearly when the server refuses the new token', async () => {
    const refuse = on(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      status(401, 'Unauthorized', 'Unauthorized'),
    );
    const r = await run(flags(kubeconfigDir(), { verify: true }), emptyCluster([refuse]));
    expect((r.failure as Error).message).toContain(
      'the new kubeconfig does not work: the server refused its token (401 Unauthorized)',
    );
  });

  it('falls back to TokenReview where SelfSubjectReview does not exist', async () => {
    const tokenReview = on('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      status: 201,
      body: {
        status: { authenticated: true, user: { username: 'system:serviceaccount:team:jenkins' } },
      },
    });
    const absent = on(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      status(404, 'NotFound', 'no'),
    );
    const r = await run(
      flags(kubeconfigDir(), { verify: true }),
      emptyCluster([absent, tokenReview]),
    );
    expect(r.failure).toBeUndefined();
    expect(r.stderr).toContain('(TokenReview)');
    const review = r.requests.find((q) => q.path.endsWith('/tokenreviews'));
    expect(review?.headers.Authorization).toBe(`Bearer ${callerToken}`);
    expect(review?.body).toMatchObject({ spec: { token } });
  });
});

describe('create --dry-run', () => {
  it('client: prints the manifests and writes nothing', async () => {
    const f = flags(kubeconfigDir(), { dryRun: 'client', clusterRoles: ['edit'], revocable: true });
    const r = await run(f, emptyCluster());
    expect(r.failure).toBeUndefined();
    expect(writes(r.requests)).toEqual([]);
    const docs = r.stdout.split('---\n').map((d) => parse(d));
    expect(docs.map((d) => d.kind)).toEqual(['ServiceAccount', 'RoleBinding', 'Secret']);
    expect(r.stderr).toContain('serviceaccount/jenkins created (dry run)');
    expect(r.stderr).toContain('no token was requested (dry run)');
  });

  it('server: sends every write with dryRun=All and requests no token', async () => {
    const r = await run(
      flags(kubeconfigDir(), { dryRun: 'server', clusterRoles: ['edit'] }),
      emptyCluster(),
    );
    expect(r.failure).toBeUndefined();
    const sent = r.requests.filter((q) => q.method !== 'GET');
    expect(sent.map((q) => q.query.get('dryRun'))).toEqual(['All', 'All']);
    expect(sent.some((q) => q.path.endsWith('/token'))).toBe(false);
    expect(r.stderr).toContain('serviceaccount/jenkins created (server dry run)');
  });

  it('rejects an unknown mode', () => {
    expect(() => validateCreate(flags('/x', { dryRun: 'maybe' }))).toThrow(
      '--dry-run must be none, client or server, not "maybe"',
    );
  });
});

describe('create token kinds', () => {
  it('--revocable binds the token to a Secret made for it', async () => {
    const secret = (req: SeenRequest) =>
      req.method === 'PATCH' && req.path.includes('/secrets/')
        ? {
            status: 200,
            body: {
              ...(req.body as object),
              metadata: { ...(req.body as { metadata: object }).metadata, uid: 'uid-1' },
            },
          }
        : undefined;
    const r = await run(flags(kubeconfigDir(), { revocable: true }), emptyCluster([secret]));
    expect(r.failure).toBeUndefined();
    const tokenReq = r.requests.find((q) => q.path.endsWith('/token'));
    expect(tokenReq?.body).toMatchObject({
      spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', uid: 'uid-1' } },
    });
    const name = (tokenReq?.body as { spec: { boundObjectRef: { name: string } } }).spec
      .boundObjectRef.name;
    expect(name).toMatch(/^sa-kubeconfig-jenkins-[0-9a-f]{6}$/);
    expect(r.stderr).toContain(`(revoke it early: kubectl delete secret -n team ${name})`);
  });

  it('--legacy-token waits for the token controller and warns', async () => {
    let reads = 0;
    const filled = (req: SeenRequest) => {
      if (req.method !== 'GET' || !req.path.includes('/secrets/')) return undefined;
      reads += 1;
      const data = reads > 1 ? { token: Buffer.from(token).toString('base64') } : undefined;
      return { status: 200, body: { metadata: { name: 'x' }, data } };
    };
    const r = await run(flags(kubeconfigDir(), { legacyToken: true }), emptyCluster([filled]));
    expect(r.failure).toBeUndefined();
    expect(parse(r.stdout).users[0].user.token).toBe(token);
    expect(r.requests.some((q) => q.path.endsWith('/token'))).toBe(false);
    expect(r.stderr).toContain(
      'Warning: the legacy token of serviceaccount "team/jenkins" never expires',
    );
  });

  const clashes: [Partial<CreateFlags>, string][] = [
    [{ legacyToken: true, duration: '1h' }, '--legacy-token cannot be combined with --duration'],
    [{ legacyToken: true, revocable: true }, '--legacy-token cannot be combined with --revocable'],
    [{ legacyToken: true, audiences: ['x'] }, '--legacy-token cannot be combined with --audience'],
  ];
  for (const [extra, message] of clashes) {
    it(`rejects ${message.split(' with ')[1]} with --legacy-token`, () => {
      expect(() => validateCreate(flags('/x', extra))).toThrow(message);
    });
  }
});

describe('validateCreate', () => {
  const dir = '/nonexistent';
  const cases: [string, Partial<CreateFlags>, string][] = [
    ['bad name', { name: 'Jenkins_1' }, 'invalid NAME "Jenkins_1"'],
    ['long name', { name: 'a'.repeat(64) }, 'at most 63 characters'],
    ['bad namespace', { connection: { namespace: 'a.b' } }, 'invalid --namespace "a.b"'],
    ['short duration', { duration: '5m' }, '--duration 5m is too short: the minimum is 10m'],
    ['fraction', { duration: '10m0.5s' }, 'must be a whole number of seconds'],
    ['huge', { duration: '1193047h' }, 'it must be below 2^32 seconds'],
    ['bad duration', { duration: '1 day' }, 'invalid --duration'],
    ['verb alone', { verbs: ['get'] }, '--verb needs at least one --resource'],
    ['resource alone', { resources: ['pods'] }, '--resource needs at least one --verb'],
    ['bad output', { output: 'xml' }, '--output must be yaml or json, not "xml"'],
    ['force alone', { force: true }, '--force needs --output-file'],
    ['bad role', { roles: ['a/b'] }, 'invalid role name "a/b"'],
  ];
  for (const [name, extra, message] of cases) {
    it(`rejects ${name}`, () => {
      const f = { ...flags(dir), ...extra };
      expect(() => validateCreate(f)).toThrow(UsageError);
      expect(() => validateCreate(f)).toThrow(message);
    });
  }

  it('accepts a full set of flags', () => {
    const o = validateCreate({
      ...flags(dir),
      verbs: ['get,list'],
      resources: ['pods,deployments.apps'],
      duration: '1h30m',
      audiences: ['vault', 'vault'],
    });
    expect(o.credential.token).toEqual({ durationSeconds: 5400, audiences: ['vault'] });
    expect(o.grants.rules.verbs).toEqual(['get', 'list']);
  });
});
