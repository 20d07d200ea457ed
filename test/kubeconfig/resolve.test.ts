import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { UsageError, UserError } from '../../src/errors.js';
import { quote } from '../../src/kubeconfig/fields.js';
import { loadKubeconfig } from '../../src/kubeconfig/load.js';
import { parseRequestTimeout, resolveConfig } from '../../src/kubeconfig/resolve.js';
import type { ConnectionFlags } from '../../src/kubeconfig/types.js';
import {
  type KubeconfigParts,
  expectError,
  fixture,
  kubeconfigYaml,
  recordingLog,
  tempDir,
  writeFiles,
} from '../fixtures/kubeconfig/harness.js';

const CA_FILE = fixture('pki', 'ca.crt');
const CA_PEM = readFileSync(CA_FILE, 'utf8');
const OTHER_CA_PEM = readFileSync(fixture('pki', 'other-ca.crt'), 'utf8');
const CLIENT_CERT = fixture('pki', 'client.crt');
const CLIENT_KEY = fixture('pki', 'client.key');
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Writes a one-file kubeconfig and returns its path. */
function kubeconfigFile(parts: KubeconfigParts): string {
  const dir = writeFiles(tempDir(), { 'config.yaml': kubeconfigYaml(parts) });
  return path.join(dir, 'config.yaml');
}

/** A kubeconfig with one context "ctx" → cluster "c" and user "u". */
function single(
  cluster: Record<string, unknown>,
  user: Record<string, unknown> = {},
  context: Record<string, unknown> = {},
): string {
  return kubeconfigFile({
    currentContext: 'ctx',
    clusters: { c: { server: 'https://c.example', ...cluster } },
    users: { u: user },
    contexts: { ctx: { cluster: 'c', user: 'u', ...context } },
  });
}

/** Loads `file` as --kubeconfig and resolves it with `flags`. */
async function resolveFile(file: string, flags: ConnectionFlags = {}, level = 0) {
  const { log, lines } = recordingLog(level);
  const merged = await loadKubeconfig({ explicitPath: file, env: {}, log });
  return { config: resolveConfig(merged, { kubeconfig: file, ...flags }, log), lines, log };
}

async function resolved(file: string, flags: ConnectionFlags = {}) {
  return (await resolveFile(file, flags)).config;
}

describe('choosing the context', () => {
  const basic = fixture('basic.yaml');

  it('uses current-context, its cluster, user and namespace', async () => {
    const config = await resolved(basic);
    expect(config).toMatchObject({
      files: [basic],
      contextName: 'alice@dev',
      namespace: 'team-a',
      requestTimeoutMs: 0,
    });
    expect(config.cluster).toMatchObject({
      name: 'dev-cluster',
      server: 'https://dev.example:6443',
    });
    expect(config.user).toMatchObject({ name: 'alice', token: 'fake-token-alice' });
  });

  it('uses --context over current-context', async () => {
    const config = await resolved(basic, { context: 'bob@staging' });
    expect(config.contextName).toBe('bob@staging');
    expect(config.cluster.name).toBe('staging-cluster');
    expect(config.user.name).toBe('bob');
  });

  it('lists the contexts when --context names none of them', async () => {
    await expectError(
      resolved(basic, { context: 'nope' }),
      UserError,
      'context "nope" does not exist (contexts: "alice@dev", "bob@staging")',
    );
  });

  it('shows control characters in the names it lists as U+XXXX', async () => {
    const file = kubeconfigFile({
      contexts: { 'evil\u001b]0;pwned\u0007': {}, 'line\nbreak': {}, plain: {} },
    });
    await expectError(
      resolved(file, { context: 'nope\u001b[2J' }),
      UserError,
      'context "nopeU+001B[2J" does not exist ' +
        '(contexts: "evilU+001B]0;pwnedU+0007", "lineU+000Abreak", "plain")',
    );
  });

  it('lists the contexts when current-context names none of them', async () => {
    const file = fixture('unknown-current.yaml');
    await expectError(
      resolved(file),
      UserError,
      `current-context "gone" (set in "${file}") does not exist ` +
        '(pass --context NAME; contexts: "present")',
    );
  });

  it('asks for --context when there is no current-context', async () => {
    await expectError(
      resolved(fixture('no-current.yaml')),
      UserError,
      'no context chosen: the kubeconfig sets no current-context (pass --context NAME or ' +
        'run kubectl config use-context NAME; contexts: "alpha", "zeta")',
    );
  });

  it('says so when the kubeconfig defines no contexts', async () => {
    const file = fixture('no-contexts.yaml');
    await expectError(
      resolved(file),
      UserError,
      `no context chosen: the kubeconfig ("${file}") defines no contexts ` +
        '(add one with kubectl config set-context, or pass --server)',
    );
  });

  it('cuts a long list of names after 20', async () => {
    const contexts = Object.fromEntries(
      Array.from({ length: 23 }, (_, i) => [`ctx-${String(i).padStart(2, '0')}`, {}]),
    );
    const names = Object.keys(contexts)
      .slice(0, 20)
      .map((n) => `"${n}"`)
      .join(', ');
    await expectError(
      resolved(kubeconfigFile({ contexts })),
      UserError,
      'no context chosen: the kubeconfig sets no current-context (pass --context NAME or ' +
        `run kubectl config use-context NAME; contexts: ${names} and 3 more)`,
    );
  });

  it('works without a context when --server or --cluster says where', async () => {
    const file = fixture('no-current.yaml');
    const withServer = await resolved(file, { server: 'https://flag.example', token: 'fake' });
    expect(withServer).toMatchObject({ contextName: '', namespace: 'default' });
    expect(withServer.cluster).toMatchObject({ name: '', server: 'https://flag.example' });
    const withCluster = await resolved(file, { cluster: 'c' });
    expect(withCluster.cluster).toMatchObject({ name: 'c', server: 'https://c.example' });
    expect(withCluster.user.name).toBe('');
  });
});

describe('cluster and user names', () => {
  const basic = fixture('basic.yaml');

  it('takes --cluster and --user independently of the context', async () => {
    const config = await resolved(basic, { cluster: 'staging-cluster' });
    expect(config.cluster.name).toBe('staging-cluster');
    expect(config.user.name).toBe('alice');
    expect(config.namespace).toBe('team-a');
    const other = await resolved(basic, { user: 'bob' });
    expect(other.cluster.name).toBe('dev-cluster');
    expect(other.user).toMatchObject({ name: 'bob', username: 'bob' });
  });

  it('refuses an unknown --cluster or --user, listing the names', async () => {
    await expectError(
      resolved(basic, { cluster: 'x' }),
      UserError,
      'cluster "x" does not exist (clusters: "dev-cluster", "staging-cluster")',
    );
    await expectError(
      resolved(basic, { user: 'x' }),
      UserError,
      'user "x" does not exist (users: "alice", "bob")',
    );
  });

  it('refuses a context that names an unknown cluster or user', async () => {
    const file = kubeconfigFile({
      currentContext: 'ctx',
      contexts: { ctx: { cluster: 'gone', user: 'ghost' } },
    });
    await expectError(
      resolved(file),
      UserError,
      'cluster "gone" (named by context "ctx") does not exist (no clusters are defined)',
    );
    await expectError(
      resolved(file, { server: 'https://s.example' }),
      UserError,
      'user "ghost" (named by context "ctx") does not exist (no users are defined)',
    );
  });

  it('goes on with an unknown cluster of the context when --server is given', async () => {
    const file = kubeconfigFile({ currentContext: 'ctx', contexts: { ctx: { cluster: 'gone' } } });
    const config = await resolved(file, { server: 'https://s.example' });
    expect(config.cluster).toMatchObject({ name: 'gone', server: 'https://s.example' });
  });

  it('needs a cluster and a server', async () => {
    const noCluster = kubeconfigFile({ currentContext: 'ctx', contexts: { ctx: {} } });
    await expectError(
      resolved(noCluster),
      UserError,
      'context "ctx" names no cluster (pass --cluster or --server)',
    );
    await expectError(
      resolved(single({ server: '' })),
      UserError,
      'cluster "c" has no server (set server in it, or pass --server)',
    );
  });

  it('allows a context without a user: no credentials', async () => {
    const file = kubeconfigFile({
      currentContext: 'ctx',
      clusters: { c: { server: 'https://c.example' } },
      contexts: { ctx: { cluster: 'c' } },
    });
    expect((await resolved(file)).user).toEqual({
      name: '',
      impersonate: undefined,
      token: undefined,
      tokenFile: undefined,
      username: undefined,
      password: undefined,
    });
  });
});

describe('namespace', () => {
  it('is -n, else the context namespace, else default', async () => {
    const basic = fixture('basic.yaml');
    expect((await resolved(basic, { namespace: 'flag-ns' })).namespace).toBe('flag-ns');
    expect((await resolved(basic)).namespace).toBe('team-a');
    expect((await resolved(basic, { context: 'bob@staging' })).namespace).toBe('default');
  });

  it.each(['Bad_NS/../x', 'UPPER', '-dash', 'a.b', 'x'.repeat(64), 'esc\u001b[2J'])(
    'refuses the context namespace %j before any request',
    async (namespace) => {
      const file = single({}, {}, { namespace });
      await expectError(
        resolved(file),
        UserError,
        `invalid kubeconfig "${file}": contexts[0].context.namespace of context "ctx" is ` +
          `${quote(namespace)}, not a namespace name (a DNS-1123 label: at most 63 lowercase ` +
          'letters, digits and "-", starting and ending with a letter or digit; fix the ' +
          'context, or pass -n NAMESPACE)',
      );
    },
  );

  it('accepts a 63-character namespace, and ignores a bad one that -n replaces', async () => {
    const longest = 'a'.repeat(63);
    expect((await resolved(single({}, {}, { namespace: longest }))).namespace).toBe(longest);
    const file = single({}, {}, { namespace: 'Bad_NS/../x' });
    expect((await resolved(file, { namespace: 'ok' })).namespace).toBe('ok');
  });
});

describe('server and TLS server name', () => {
  it('takes --server, which also drops the kubeconfig tls-server-name', async () => {
    const file = single({ 'tls-server-name': 'kube.example' });
    expect((await resolved(file)).cluster.tlsServerName).toBe('kube.example');
    const flagged = await resolved(file, { server: 'https://other.example' });
    expect(flagged.cluster).toMatchObject({ server: 'https://other.example' });
    expect(flagged.cluster.tlsServerName).toBeUndefined();
    const both = await resolved(file, {
      server: 'https://o.example',
      tlsServerName: 'sni.example',
    });
    expect(both.cluster.tlsServerName).toBe('sni.example');
  });

  it('takes --tls-server-name over the kubeconfig', async () => {
    const file = single({ 'tls-server-name': 'kube.example' });
    expect((await resolved(file, { tlsServerName: 'flag.example' })).cluster.tlsServerName).toBe(
      'flag.example',
    );
  });

  it('cleans the server URL like client-go', async () => {
    const server = async (value: string, cluster: Record<string, unknown> = {}) =>
      (await resolved(single({ server: value, ...cluster }))).cluster.server;
    expect(await server('https://k.example:6443/prefix?x=1#f')).toBe(
      'https://k.example:6443/prefix',
    );
    expect(await server('https://k.example:6443/?x=1')).toBe('https://k.example:6443/?x=1');
    expect(await server('k.example:6443', { 'certificate-authority-data': b64(CA_PEM) })).toBe(
      'https://k.example:6443',
    );
    expect(await server('k.example:8080')).toBe('http://k.example:8080');
  });

  it('refuses a server that is not a URL', async () => {
    await expectError(
      resolved(single({ server: 'https://exa mple' })),
      UserError,
      'invalid server "https://exa mple" of cluster "c": not a URL',
    );
  });
});

describe('certificate authority', () => {
  it('reads the certificate-authority file', async () => {
    const { cluster } = await resolved(single({ 'certificate-authority': CA_FILE }));
    expect(cluster).toMatchObject({
      certificateAuthorityPem: CA_PEM,
      certificateAuthoritySource: `file ${CA_FILE}`,
      insecureSkipTlsVerify: false,
    });
  });

  it('decodes certificate-authority-data', async () => {
    const { cluster } = await resolved(single({ 'certificate-authority-data': b64(CA_PEM) }));
    expect(cluster).toMatchObject({
      certificateAuthorityPem: CA_PEM,
      certificateAuthoritySource: 'data',
    });
  });

  it('refuses both certificate-authority and -data, as kubectl does', async () => {
    const file = single({
      'certificate-authority': CA_FILE,
      'certificate-authority-data': b64(CA_PEM),
    });
    await expectError(
      resolved(file),
      UserError,
      `invalid kubeconfig "${file}": ` +
        'clusters[0].cluster sets both certificate-authority-data and certificate-authority ' +
        '(keep one)',
    );
  });

  it('refuses insecure-skip-tls-verify together with a CA in the kubeconfig', async () => {
    const file = single({ 'certificate-authority': CA_FILE, 'insecure-skip-tls-verify': true });
    await expectError(
      resolved(file),
      UserError,
      `invalid kubeconfig "${file}": ` +
        'clusters[0].cluster sets insecure-skip-tls-verify together with a certificate ' +
        'authority, which kubectl refuses (keep one)',
    );
  });

  it('drops the kubeconfig CA for --insecure-skip-tls-verify', async () => {
    const { cluster } = await resolved(single({ 'certificate-authority': CA_FILE }), {
      insecureSkipTlsVerify: true,
    });
    expect(cluster.insecureSkipTlsVerify).toBe(true);
    expect(cluster.certificateAuthorityPem).toBeUndefined();
  });

  it('replaces the kubeconfig CA and insecure setting with --certificate-authority', async () => {
    const flags = { certificateAuthority: CA_FILE };
    const fromData = await resolved(
      single({ 'certificate-authority-data': b64(OTHER_CA_PEM) }),
      flags,
    );
    expect(fromData.cluster).toMatchObject({
      certificateAuthorityPem: CA_PEM,
      certificateAuthoritySource: `--certificate-authority ${CA_FILE}`,
    });
    const fromInsecure = await resolved(single({ 'insecure-skip-tls-verify': true }), flags);
    expect(fromInsecure.cluster.insecureSkipTlsVerify).toBe(false);
  });

  it('refuses --certificate-authority with --insecure-skip-tls-verify', async () => {
    await expectError(
      resolved(single({}), { certificateAuthority: CA_FILE, insecureSkipTlsVerify: true }),
      UsageError,
      '--certificate-authority cannot be used with --insecure-skip-tls-verify ' +
        '(an unverified server needs no CA)',
    );
  });

  it('names a CA file that cannot be read', async () => {
    const missing = fixture('pki', 'missing.crt');
    await expectError(
      resolved(single({ 'certificate-authority': missing })),
      UserError,
      `failed to read certificate-authority "${missing}" of cluster "c": no such file`,
    );
    await expectError(
      resolved(single({}), { certificateAuthority: missing }),
      UserError,
      `failed to read --certificate-authority "${missing}": no such file`,
    );
  });

  it('refuses a CA that holds no certificate', async () => {
    const file = single({
      'certificate-authority-data': b64(
        '-----BEGIN CERTIFICATE-----\nfake\n' + '-----END CERTIFICATE-----\n',
      ),
    });
    await expectError(
      resolved(file),
      UserError,
      'certificate-authority-data of cluster "c" holds no PEM certificate',
    );
    await expectError(
      resolved(single({}), { certificateAuthority: CLIENT_KEY }),
      UserError,
      `--certificate-authority "${CLIENT_KEY}" holds no PEM certificate`,
    );
  });

  it('refuses data that is not base64', async () => {
    const file = single({ 'certificate-authority-data': 'not base64!' });
    await expectError(
      resolved(file),
      UserError,
      `invalid kubeconfig "${file}": ` +
        'clusters[0].cluster.certificate-authority-data is not valid base64',
    );
  });

  it('accepts base64 split over lines, as Go does', async () => {
    const wrapped = b64(CA_PEM).replace(/(.{64})/g, '$1\n');
    const { cluster } = await resolved(single({ 'certificate-authority-data': wrapped }));
    expect(cluster.certificateAuthorityPem).toBe(CA_PEM);
  });
});

describe('other cluster fields', () => {
  it('reads insecure-skip-tls-verify as a YAML boolean only', async () => {
    expect(
      (await resolved(single({ 'insecure-skip-tls-verify': true }))).cluster.insecureSkipTlsVerify,
    ).toBe(true);
    const file = single({ 'insecure-skip-tls-verify': 'true' });
    await expectError(
      resolved(file),
      UserError,
      `invalid kubeconfig "${file}": ` +
        'clusters[0].cluster.insecure-skip-tls-verify must be true or false, not a string',
    );
  });

  it('keeps proxy-url, and refuses a scheme Go cannot use', async () => {
    for (const url of ['http://p.example:3128', 'https://p.example', 'socks5://p.example:1080']) {
      expect((await resolved(single({ 'proxy-url': url }))).cluster.proxyUrl).toBe(url);
    }
    await expectError(
      resolved(single({ 'proxy-url': 'ftp://p.example' })),
      UserError,
      'invalid proxy-url "ftp://p.example" of cluster "c": unsupported scheme "ftp" ' +
        '(use http, https or socks5)',
    );
    await expectError(
      resolved(single({ 'proxy-url': 'not a url' })),
      UserError,
      'invalid proxy-url "not a url" of cluster "c": not a URL',
    );
  });

  it('sets disableCompression from the flag or the cluster', async () => {
    expect((await resolved(single({}))).cluster.disableCompression).toBe(false);
    expect(
      (await resolved(single({}), { disableCompression: true })).cluster.disableCompression,
    ).toBe(true);
    expect(
      (await resolved(single({ 'disable-compression': true }))).cluster.disableCompression,
    ).toBe(true);
  });

  it('names the field path of a wrong type in the chosen stanza only', async () => {
    const file = fixture('broken-unused.yaml');
    expect((await resolved(file)).cluster.server).toBe('https://good.example');
    await expectError(
      resolved(file, { context: 'broken' }),
      UserError,
      `invalid kubeconfig "${file}": clusters[1].cluster.server must be a string, not a list`,
    );
    await expectError(
      resolved(file, { context: 'broken', server: 'https://s.example' }),
      UserError,
      `invalid kubeconfig "${file}": users[0].user must be a mapping, not a string`,
    );
  });

  it('refuses a name listed twice in one file only when it is used', async () => {
    const file = fixture('duplicate-name.yaml');
    await expectError(
      resolved(file),
      UserError,
      `invalid kubeconfig "${file}": ` +
        'clusters[0] and clusters[1] both define cluster "twice" (keep one)',
    );
    expect((await resolved(file, { context: 'fine' })).cluster.server).toBe('https://once.example');
  });
});

describe('user credentials', () => {
  it('takes --token over the token, keeping tokenFile for credentials.ts', async () => {
    const file = single({}, { token: 'fake-token-stanza', tokenFile: '/fake/token' });
    expect((await resolved(file)).user).toMatchObject({
      token: 'fake-token-stanza',
      tokenFile: '/fake/token',
    });
    expect((await resolved(file, { token: 'fake-token-flag' })).user.token).toBe('fake-token-flag');
  });

  it('warns that kubectl prefers a tokenFile and a certificate over --token', async () => {
    const file = single(
      {},
      { tokenFile: '/fake/token', 'client-certificate': CLIENT_CERT, 'client-key': CLIENT_KEY },
    );
    const { lines } = await resolveFile(file, { token: 'fake-token-flag' });
    expect(lines()).toEqual([
      'Warning: user "u" has a tokenFile, which kubectl uses instead of --token while the ' +
        'file can be read',
      'Warning: user "u" has a client certificate, which kubectl sends along with --token; ' +
        'the API server usually authenticates the certificate',
    ]);
    expect((await resolveFile(file)).lines()).toEqual([]);
  });

  it('takes --username and --password over the stanza, one by one', async () => {
    const file = single({}, { username: 'stanza-user', password: 'fake-password' });
    expect((await resolved(file, { username: 'flag-user' })).user).toMatchObject({
      username: 'flag-user',
      password: 'fake-password',
    });
  });

  it('refuses a token together with basic auth, as kubectl does', async () => {
    const message =
      'user "u" has both a token and a username/password, and kubectl allows ' +
      'only one (remove one, or override with --token or --username)';
    await expectError(resolved(single({}, { token: 'fake', username: 'bob' })), UserError, message);
    await expectError(resolved(single({}, { tokenFile: '/t', password: 'p' })), UserError, message);
    await expectError(
      resolved(single({}, { token: 'fake' }), { username: 'bob' }),
      UserError,
      message,
    );
  });

  it('reads client certificate and key files, and -data fields', async () => {
    const pem = { cert: readFileSync(CLIENT_CERT, 'utf8'), key: readFileSync(CLIENT_KEY, 'utf8') };
    const fromFiles = await resolved(
      single({}, { 'client-certificate': CLIENT_CERT, 'client-key': CLIENT_KEY }),
    );
    expect(fromFiles.user).toMatchObject({ clientCertificatePem: pem.cert, clientKeyPem: pem.key });
    const fromData = await resolved(
      single({}, { 'client-certificate-data': b64(pem.cert), 'client-key-data': b64(pem.key) }),
    );
    expect(fromData.user).toMatchObject({ clientCertificatePem: pem.cert, clientKeyPem: pem.key });
  });

  it('lets --client-certificate and --client-key replace the stanza data', async () => {
    const file = single(
      {},
      {
        'client-certificate-data': b64('junk'),
        'client-key-data': b64('j'),
      },
    );
    const { user } = await resolved(file, {
      clientCertificate: CLIENT_CERT,
      clientKey: CLIENT_KEY,
    });
    expect(user.clientCertificatePem).toBe(readFileSync(CLIENT_CERT, 'utf8'));
  });

  it('refuses a certificate without a key, or both file and data', async () => {
    await expectError(
      resolved(single({}, { 'client-certificate': CLIENT_CERT })),
      UserError,
      'user "u" has a client certificate but no client key (set client-key or ' +
        'client-key-data, or pass --client-key)',
    );
    const file = single(
      {},
      {
        'client-certificate': CLIENT_CERT,
        'client-certificate-data': b64('x'),
        'client-key': CLIENT_KEY,
      },
    );
    await expectError(
      resolved(file),
      UserError,
      `invalid kubeconfig "${file}": users[0].user ` +
        'sets both client-certificate-data and client-certificate (keep one)',
    );
  });

  it('checks that the certificate and key parse and match', async () => {
    const serverKey = fixture('pki', 'server.key');
    await expectError(
      resolved(single({}, { 'client-certificate': CLIENT_CERT, 'client-key': serverKey })),
      UserError,
      'the client key of user "u" does not match its ' + 'certificate',
    );
    await expectError(
      resolved(single({}, { 'client-certificate': CLIENT_CERT, 'client-key': CA_FILE })),
      UserError,
      'the client key of user "u" is not a PEM private key',
    );
    await expectError(
      resolved(single({}, { 'client-certificate': CLIENT_KEY, 'client-key': CLIENT_KEY })),
      UserError,
      'the client certificate of user "u" is not a PEM certificate',
    );
  });

  it('names a client certificate or key file that cannot be read', async () => {
    const missing = fixture('pki', 'missing.pem');
    await expectError(
      resolved(single({}, { 'client-certificate': missing, 'client-key': CLIENT_KEY })),
      UserError,
      `failed to read client-certificate "${missing}" of user "u": no such file`,
    );
    await expectError(
      resolved(single({}, { 'client-certificate': CLIENT_CERT, 'client-key': missing })),
      UserError,
      `failed to read client-key "${missing}" of user "u": no such file`,
    );
  });

  it('records an auth-provider by name (credentials.ts refuses it)', async () => {
    const { user } = await resolved(single({}, { 'auth-provider': { name: 'gcp', config: {} } }));
    expect(user.authProvider).toBe('gcp');
  });
});

describe('impersonation', () => {
  it('takes --as, --as-group and --as-uid over the stanza; extras from the stanza', async () => {
    const file = single(
      {},
      {
        as: 'stanza-user',
        'as-groups': ['g1'],
        'as-uid': '42',
        'as-user-extra': { scopes: ['a', 'b'] },
      },
    );
    expect((await resolved(file)).user.impersonate).toEqual({
      user: 'stanza-user',
      groups: ['g1'],
      uid: '42',
      extra: { scopes: ['a', 'b'] },
    });
    const flags = { as: 'flag-user', asGroups: ['f1', 'f2'], asUid: '7' };
    expect((await resolved(file, flags)).user.impersonate).toEqual({
      user: 'flag-user',
      groups: ['f1', 'f2'],
      uid: '7',
      extra: { scopes: ['a', 'b'] },
    });
  });

  it('refuses groups, uid or extras with no user to impersonate', async () => {
    await expectError(
      resolved(single({}), { asGroups: ['g'] }),
      UserError,
      'impersonation for user "u" sets groups, a uid or extras but no user to impersonate ' +
        '(pass --as, or set as in the user stanza)',
    );
  });
});

describe('exec plugin stanza', () => {
  const exec = (fields: Record<string, unknown>) =>
    single(
      {
        extensions: [
          { name: 'client.authentication.k8s.io/exec', extension: { audience: 'fake' } },
        ],
      },
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: 'fake-plugin',
          interactiveMode: 'Never',
          ...fields,
        },
      },
    );

  it('reads the stanza and the cluster extension for the plugin', async () => {
    const file = exec({
      args: ['get-token'],
      env: [{ name: 'A', value: '1' }, { name: 'B' }],
      installHint: 'install fake-plugin',
      provideClusterInfo: true,
    });
    expect((await resolved(file)).user.exec).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      command: 'fake-plugin',
      args: ['get-token'],
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '' },
      ],
      installHint: 'install fake-plugin',
      provideClusterInfo: true,
      interactiveMode: 'Never',
      clusterExtension: { audience: 'fake' },
    });
  });

  it('defaults interactiveMode to IfAvailable before v1 only', async () => {
    const beta = exec({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      interactiveMode: undefined,
    });
    expect((await resolved(beta)).user.exec?.interactiveMode).toBe('IfAvailable');
    const v1 = exec({ interactiveMode: undefined });
    await expectError(
      resolved(v1),
      UserError,
      `invalid kubeconfig "${v1}": ` +
        'users[0].user.exec.interactiveMode must be set with apiVersion ' +
        'client.authentication.k8s.io/v1 (Never, IfAvailable or Always)',
    );
  });

  it('refuses a stanza client-go would refuse', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { interactiveMode: 'Sometimes' },
        'users[0].user.exec.interactiveMode is "Sometimes", expected Never, IfAvailable or Always',
      ],
      [{ command: '' }, 'users[0].user.exec.command must be set'],
      [{ apiVersion: null }, 'users[0].user.exec.apiVersion must be set'],
      [{ env: [{ value: 'x' }] }, 'users[0].user.exec.env[0].name must be set'],
      [{ args: 'one' }, 'users[0].user.exec.args must be a list, not a string'],
    ];
    for (const [fields, problem] of cases) {
      const file = exec(fields);
      await expectError(resolved(file), UserError, `invalid kubeconfig "${file}": ${problem}`);
    }
  });

  it('refuses exec together with an auth-provider', async () => {
    const file = single(
      {},
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: 'x',
          interactiveMode: 'Never',
        },
        'auth-provider': { name: 'oidc' },
      },
    );
    await expectError(
      resolved(file),
      UserError,
      `invalid kubeconfig "${file}": users[0].user sets both exec and auth-provider (keep one)`,
    );
  });
});

describe('--request-timeout', () => {
  it.each([
    [undefined, 0],
    ['', 0],
    ['0', 0],
    ['30', 30_000],
    ['+5', 5_000],
    ['5s', 5_000],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['0s', 0],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseRequestTimeout(text)).toBe(ms);
  });

  it.each(['abc', '1.5', '-1', '-5s', '5 s', '1d'])('refuses %j', async (text) => {
    await expectError(
      () => parseRequestTimeout(text),
      UsageError,
      `invalid --request-timeout "${text}": use 0 (no timeout), whole seconds such as 30, ` +
        'or a duration such as 5s, 1m or 1h30m',
    );
  });

  it.each(['596h31m23s', '2147483', '2147483.647s'])('accepts %j, within a Node timer', (text) => {
    expect(parseRequestTimeout(text)).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it.each(['597h', '2147484', '99999999999999999999', '1000000h'])(
    'refuses %j, longer than a Node timer can wait',
    async (text) => {
      await expectError(
        () => parseRequestTimeout(text),
        UsageError,
        `invalid --request-timeout "${text}": the longest timeout is 596h31m23s ` +
          '(2147483647 ms); use 0 for no timeout',
      );
    },
  );

  it('is applied by resolveConfig', async () => {
    expect((await resolved(fixture('basic.yaml'), { requestTimeout: '1m' })).requestTimeoutMs).toBe(
      60_000,
    );
  });
});

describe('no kubeconfig file at all', () => {
  const resolveEnv = async (env: NodeJS.ProcessEnv, flags: ConnectionFlags = {}) => {
    const { log } = recordingLog();
    return resolveConfig(await loadKubeconfig({ env, log, platform: 'linux' }), flags, log);
  };
  const hint = '(pass --kubeconfig FILE, set KUBECONFIG, or give --server)';

  it('lists the home file that was checked', async () => {
    const home = tempDir();
    await expectError(
      resolveEnv({ HOME: home }),
      UserError,
      `no kubeconfig found at "${home}/.kube/config" ${hint}`,
    );
  });

  it('lists the KUBECONFIG files that were checked', async () => {
    await expectError(
      resolveEnv({ KUBECONFIG: '/nope/a:/nope/b' }),
      UserError,
      `no kubeconfig found: none of the files in KUBECONFIG exists ("/nope/a", "/nope/b") ${hint}`,
    );
  });

  it.each([':', '::', ';'])(
    'says when KUBECONFIG=%j names no file, and reads no home file, as kubectl does',
    async (list) => {
      const home = writeFiles(tempDir(), { '.kube/config': kubeconfigYaml({}) });
      // ";" is a file name on Linux, so only the ":" lists are empty there.
      const platform = list === ';' ? 'win32' : 'linux';
      const { log } = recordingLog();
      const merged = await loadKubeconfig({ env: { KUBECONFIG: list, HOME: home }, log, platform });
      expect(merged).toMatchObject({ source: 'env', searched: [], files: [] });
      await expectError(
        () => resolveConfig(merged, {}, log),
        UserError,
        'no kubeconfig found: KUBECONFIG is set but names no file, so kubectl reads none ' +
          'either (name a file in it, unset it to use ~/.kube/config, pass --kubeconfig FILE, ' +
          'or give --server)',
      );
    },
  );

  it('says when HOME is not set', async () => {
    await expectError(
      resolveEnv({}),
      UserError,
      `no kubeconfig found: HOME is not set, so there is no ~/.kube/config ${hint}`,
    );
  });

  it('works from --server alone, as kubectl does', async () => {
    const config = await resolveEnv(
      { HOME: tempDir() },
      { server: 'https://s.example', token: 'fake-token', namespace: 'ns' },
    );
    expect(config).toMatchObject({ files: [], contextName: '', namespace: 'ns' });
    expect(config.cluster).toEqual({
      name: '',
      server: 'https://s.example',
      insecureSkipTlsVerify: false,
      disableCompression: false,
      proxyUrl: undefined,
      tlsServerName: undefined,
    });
    expect(config.user.token).toBe('fake-token');
  });
});

describe('secrets and logging', () => {
  it('registers the token, password and client key so no line can print them', async () => {
    const keyPem = readFileSync(CLIENT_KEY, 'utf8');
    const file = single(
      {},
      { token: 'fake-token-secret', 'client-certificate': CLIENT_CERT, 'client-key': CLIENT_KEY },
    );
    const { log } = await resolveFile(file);
    expect(log.redact(`a fake-token-secret b ${keyPem}`)).toBe('a <redacted> b <redacted>');
    const basic = await resolveFile(single({}, { username: 'bob', password: 'fake-password' }));
    expect(basic.log.redact('fake-password')).toBe('<redacted>');
  });

  it('describes the connection at -v 4 without secrets', async () => {
    const { lines } = await resolveFile(
      single({ 'certificate-authority': CA_FILE }, { token: 'fake-token-secret' }),
      {},
      4,
    );
    expect(lines()).toContain(
      `kubeconfig: server https://c.example, CA file ${CA_FILE}, auth token`,
    );
  });
});
