import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { type RotateFlags, runRotate, validateRotate } from '../../src/commands/rotate.js';
import { UserError } from '../../src/errors.js';
import { type Route, type SeenRequest, on } from '../helpers/fake-api.js';
import { devKubeconfig, runAgainst } from '../helpers/harness.js';

const now = new Date('2026-12-03T10:00:00Z');
const token = 'fake-rotated-token-0123456789';
const saPath = '/api/v1/namespaces/team/serviceaccounts/ci';
const secrets = '/api/v1/namespaces/team/secrets';
const labels = {
  'app.kubernetes.io/managed-by': 'kubectl-sa-kubeconfig',
  'kubectl-sa-kubeconfig/serviceaccount': 'ci',
  'kubectl-sa-kubeconfig/namespace': 'team',
};

function dir(): string {
  return devKubeconfig([
    'server: "https://api.dev.example:6443"',
    'insecure-skip-tls-verify: true',
  ]);
}

function flags(d: string, extra: Partial<RotateFlags> = {}): RotateFlags {
  return {
    name: 'ci',
    connection: { kubeconfig: path.join(d, 'config') },
    audiences: [],
    output: 'yaml',
    ...extra,
  };
}

function account(annotations: Record<string, string>, managed = true): Route {
  const metadata = { name: 'ci', labels: managed ? labels : {}, annotations };
  return on('GET', saPath, { status: 200, body: { metadata } });
}

/** A managed account with one old revocable token's Secret. */
function cluster(extra: Route[] = []): Route[] {
  const old = {
    metadata: {
      name: 'sa-kubeconfig-ci-old',
      labels: { ...labels, 'kubectl-sa-kubeconfig/token-kind': 'revocable' },
    },
  };
  return [
    ...extra,
    account({
      'kubectl-sa-kubeconfig/token-kind': 'revocable',
      'kubectl-sa-kubeconfig/token-duration': '24h',
    }),
    on('GET', secrets, { status: 200, body: { items: [old] } }),
    on('PATCH', saPath, (req) => ({ status: 200, body: req.body })),
    (req) =>
      req.method === 'PATCH' && req.path.startsWith(`${secrets}/`)
        ? {
            status: 200,
            body: {
              ...(req.body as object),
              metadata: { ...(req.body as { metadata: object }).metadata, uid: 'uid-new' },
            },
          }
        : undefined,
    on('POST', `${saPath}/token`, (req) => {
      const asked = (req.body as { spec: { expirationSeconds?: number } }).spec.expirationSeconds;
      const seconds = asked ?? 3600;
      const expirationTimestamp = new Date(now.getTime() + seconds * 1000).toISOString();
      return { status: 201, body: { status: { token, expirationTimestamp } } };
    }),
    on('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      status: 201,
      body: { status: { userInfo: { username: 'system:serviceaccount:team:ci' } } },
    }),
    on('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      status: 201,
      body: { status: {} },
    }),
    (req) => (req.method === 'DELETE' ? { status: 200, body: {} } : undefined),
  ];
}

function run(f: RotateFlags, routes: Route[]) {
  return runAgainst(routes, now, (deps) => runRotate(validateRotate(f), deps));
}

const sent = (reqs: SeenRequest[]) =>
  reqs.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);

describe('rotate', () => {
  it('repeats the recorded settings, verifies, then revokes the old token', async () => {
    const d = dir();
    const file = path.join(d, 'ci.kubeconfig');
    const r = await run(flags(d, { outputFile: file }), cluster());
    expect(r.failure).toBeUndefined();
    const tokenReq = r.requests.find((q) => q.path.endsWith('/token'));
    expect(tokenReq?.body).toMatchObject({
      spec: { expirationSeconds: 86400, boundObjectRef: { kind: 'Secret', uid: 'uid-new' } },
    });
    const order = sent(r.requests);
    const verified = order.indexOf('POST /apis/authentication.k8s.io/v1/selfsubjectreviews');
    expect(order.indexOf(`DELETE ${secrets}/sa-kubeconfig-ci-old`)).toBeGreaterThan(verified);
    expect(parse(readFileSync(file, 'utf8')).users[0].user.token).toBe(token);
    expect(r.stderr).toContain('secret/sa-kubeconfig-ci-old deleted (its token is revoked)');
    expect(r.stderr).not.toContain('stay valid until they expire');
  });

  it('warns that plain tokens issued before stay valid when switching to revocable', async () => {
    const plain = account({ 'kubectl-sa-kubeconfig/token-kind': 'bound' });
    const r = await run(flags(dir(), { revocable: true }), cluster([plain]));
    expect(r.failure).toBeUndefined();
    const applied = r.requests.find((q) => q.method === 'PATCH' && q.path === saPath);
    expect(applied?.body).toMatchObject({
      metadata: { annotations: { 'kubectl-sa-kubeconfig/token-kind': 'revocable' } },
    });
    expect(r.stderr).toContain('tokens issued earlier for "team/ci" stay valid until they expire');
  });

  it('keeps the old tokens, and says so, with --verify=false', async () => {
    const r = await run(flags(dir(), { verify: false }), cluster());
    expect(r.failure).toBeUndefined();
    expect(sent(r.requests).some((l) => l.startsWith('DELETE'))).toBe(false);
    expect(r.stderr).toContain(
      'Warning: --verify=false: the old tokens stay valid (secret/sa-kubeconfig-ci-old)',
    );
  });

  it('refuses an account it did not create', async () => {
    const r = await run(flags(dir()), [account({}, false)]);
    expect(r.failure).toBeInstanceOf(UserError);
    expect((r.failure as Error).message).toContain('was not created by kubectl-sa-kubeconfig');
    expect(sent(r.requests)).toEqual([]);
  });

  it('refuses a missing account', async () => {
    const r = await run(flags(dir()), []);
    expect((r.failure as Error).message).toBe(
      'serviceaccount "team/ci" does not exist (create it with `kubectl sa-kubeconfig ci -n team`)',
    );
  });

  it("will not replace a file that is not this account's kubeconfig without --force", async () => {
    const d = dir();
    const file = path.join(d, 'notes.txt');
    writeFileSync(file, 'my notes\n');
    const r = await run(flags(d, { outputFile: file }), cluster());
    expect((r.failure as Error).message).toBe(
      `"${file}" is not the kubeconfig of "team/ci" (its current context is not` +
        ' "team/ci@dev-cluster"): pass --force to replace it',
    );
    expect(r.requests).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe('my notes\n');

    const forced = await run(flags(d, { outputFile: file, force: true }), cluster());
    expect(forced.failure).toBeUndefined();
  });
});
