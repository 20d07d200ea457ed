/**
 * The parity corpus: for each kubeconfig setup and flag mix, real kubectl
 * is the oracle and our load + resolve (+ credentials) must agree with it.
 *
 * Two oracles, because `kubectl config view --minify` ignores -n, --cluster,
 * --user and every override flag:
 * - config view: files, merging, context choice, relative and flattened
 *   paths, namespace of the context;
 * - a fake HTTPS API server: kubectl runs `get configmaps` against it and
 *   the server records which cluster (server path), namespace, timeout,
 *   credentials, impersonation, SNI, client certificate and compression
 *   kubectl really used.
 * Every case runs with a throwaway HOME, never the real ~/.kube.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { isIP } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseGoDuration } from '../../src/duration.js';
import { getCredentials } from '../../src/kubeconfig/credentials.js';
import { loadKubeconfig } from '../../src/kubeconfig/load.js';
import { resolveConfig } from '../../src/kubeconfig/resolve.js';
import type { ConnectionFlags, Credentials, ResolvedConfig } from '../../src/kubeconfig/types.js';
import {
  type KubeconfigParts,
  caught,
  fixture,
  kubeconfigYaml,
  recordingLog,
  tempDir,
  writeFiles,
} from '../fixtures/kubeconfig/harness.js';

const PKI = (name: string) => fixture('pki', name);
const CA_PEM = readFileSync(PKI('ca.crt'), 'utf8');
const OTHER_CA_PEM = readFileSync(PKI('other-ca.crt'), 'utf8');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const PLUGIN = fixture('plugins', 'fake-plugin.mjs');

interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with only PATH, HOME and (optionally) KUBECONFIG in its environment. */
function kubectl(args: string[], env: NodeJS.ProcessEnv): Promise<KubectlRun> {
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      args,
      { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** kubectl's global flags for our ConnectionFlags. */
function kubectlArgs(flags: ConnectionFlags): string[] {
  const args: string[] = [];
  const text: [keyof ConnectionFlags, string][] = [
    ['kubeconfig', 'kubeconfig'],
    ['context', 'context'],
    ['cluster', 'cluster'],
    ['user', 'user'],
    ['namespace', 'namespace'],
    ['server', 'server'],
    ['token', 'token'],
    ['certificateAuthority', 'certificate-authority'],
    ['clientCertificate', 'client-certificate'],
    ['clientKey', 'client-key'],
    ['tlsServerName', 'tls-server-name'],
    ['username', 'username'],
    ['password', 'password'],
    ['as', 'as'],
    ['asUid', 'as-uid'],
    ['requestTimeout', 'request-timeout'],
  ];
  for (const [key, flag] of text) {
    const value = flags[key];
    if (typeof value === 'string') args.push(`--${flag}=${value}`);
  }
  for (const group of flags.asGroups ?? []) args.push(`--as-group=${group}`);
  if (flags.insecureSkipTlsVerify) args.push('--insecure-skip-tls-verify');
  if (flags.disableCompression) args.push('--disable-compression');
  return args;
}

/** Our answer for the same setup: load, resolve, and (optionally) credentials. */
async function ours(
  env: NodeJS.ProcessEnv,
  flags: ConnectionFlags,
  withCredentials = false,
): Promise<{ config: ResolvedConfig; credentials?: Credentials }> {
  const { log } = recordingLog();
  const merged = await loadKubeconfig({ explicitPath: flags.kubeconfig, env, log });
  const config = resolveConfig(merged, flags, log);
  if (!withCredentials) return { config };
  const credentials = await getCredentials(config, {
    env: { ...process.env, ...env },
    stdinIsTTY: false,
    log,
  });
  return { config, credentials };
}

// ---------------------------------------------------------------------------
// Oracle 1: kubectl config view --minify --raw --flatten

interface ViewSetup {
  name: string;
  /** KUBECONFIG entries (relative ones are relative to the working folder). */
  kubeconfigEnv?: string[];
  flags?: ConnectionFlags;
  /** Files to put in the throwaway HOME. */
  home?: Record<string, string>;
}

interface MinifiedView {
  'current-context': string;
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
}

const FIRST = fixture('merge', 'first.yaml');
const SECOND = fixture('merge', 'second.yaml');
const THIRD = fixture('merge', 'third.yaml');
const MERGED = [FIRST, SECOND, THIRD];

const VIEW_SETUPS: ViewSetup[] = [
  {
    name: 'one file, current-context, names that differ',
    flags: {
      kubeconfig: fixture('basic.yaml'),
    },
  },
  {
    name: 'one file, --context with an insecure cluster and basic auth',
    flags: {
      kubeconfig: fixture('basic.yaml'),
      context: 'bob@staging',
    },
  },
  { name: 'several files, current-context in the second only', kubeconfigEnv: MERGED },
  {
    name: 'several files, same names: the first stanza wins whole',
    kubeconfigEnv: MERGED,
    flags: { context: 'first-ctx' },
  },
  {
    name: 'several files, a context defined in the third',
    kubeconfigEnv: MERGED,
    flags: { context: 'third-ctx' },
  },
  {
    name: 'missing files in the list',
    kubeconfigEnv: [fixture('missing-1.yaml'), FIRST, fixture('missing-2.yaml'), SECOND],
  },
  { name: 'a file listed twice, and empty entries', kubeconfigEnv: ['', FIRST, FIRST, '', SECOND] },
  {
    name: 'relative CA and client certificate paths, relative KUBECONFIG entry',
    kubeconfigEnv: [path.relative(process.cwd(), fixture('relative', 'sub', 'config.yaml'))],
  },
  {
    name: '--kubeconfig wins over KUBECONFIG',
    kubeconfigEnv: MERGED,
    flags: { kubeconfig: fixture('basic.yaml') },
  },
  {
    name: '~/.kube/config when KUBECONFIG is unset',
    home: {
      '.kube/config': kubeconfigYaml({
        currentContext: 'home',
        contexts: { home: { cluster: 'hc', user: 'hu', namespace: 'hn' } },
        clusters: {
          hc: {
            server: 'https://home.example',
            'certificate-authority': PKI('ca.crt'),
            'tls-server-name': 'home-sni.example',
          },
        },
        users: { hu: { token: 'fake-token-home' } },
      }),
    },
  },
];

/** What config view says, in our terms. */
function fromView(view: MinifiedView): Record<string, unknown> {
  const cluster = view.clusters[0];
  const user = view.users[0];
  const decode = (value: unknown) =>
    typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
  return {
    contextName: view['current-context'],
    namespace: view.contexts[0].context.namespace ?? 'default',
    clusterName: cluster.name,
    server: cluster.cluster.server,
    ca: decode(cluster.cluster['certificate-authority-data']),
    tlsServerName: cluster.cluster['tls-server-name'],
    proxyUrl: cluster.cluster['proxy-url'],
    insecure: cluster.cluster['insecure-skip-tls-verify'] ?? false,
    userName: user?.name ?? '',
    token: user?.user.token,
    username: user?.user.username,
    password: user?.user.password,
    clientCert: decode(user?.user['client-certificate-data']),
    clientKey: decode(user?.user['client-key-data']),
  };
}

/** Our resolved config in the same terms. */
function fromOurs(config: ResolvedConfig): Record<string, unknown> {
  return {
    contextName: config.contextName,
    namespace: config.namespace,
    clusterName: config.cluster.name,
    server: config.cluster.server,
    ca: config.cluster.certificateAuthorityPem,
    tlsServerName: config.cluster.tlsServerName,
    proxyUrl: config.cluster.proxyUrl,
    insecure: config.cluster.insecureSkipTlsVerify,
    userName: config.user.name,
    token: config.user.token,
    username: config.user.username,
    password: config.user.password,
    clientCert: config.user.clientCertificatePem,
    clientKey: config.user.clientKeyPem,
  };
}

describe('parity with kubectl config view --minify --raw --flatten', () => {
  it.each(VIEW_SETUPS)('$name', async (setup) => {
    const home = writeFiles(tempDir(), setup.home ?? {});
    const env: NodeJS.ProcessEnv = { HOME: home };
    if (setup.kubeconfigEnv) env.KUBECONFIG = setup.kubeconfigEnv.join(':');
    const flags = setup.flags ?? {};

    const run = await kubectl(
      ['config', 'view', '--minify', '--raw', '--flatten', '-o', 'json', ...kubectlArgs(flags)],
      env,
    );
    expect(run.stderr).toBe('');
    const view = JSON.parse(run.stdout) as MinifiedView;
    const { config } = await ours(env, flags);
    expect(fromOurs(config)).toEqual(fromView(view));
  });
});

// ---------------------------------------------------------------------------
// Oracle 2: a fake API server that records what kubectl sends

/** What the fake server saw of one request. */
interface Seen {
  path: string;
  query: URLSearchParams;
  headers: NodeJS.Dict<string[]>;
  sni: string | false;
  clientCN?: string;
}

/** Minimal discovery and an empty ConfigMap list, under any one-segment prefix. */
function reply(pathname: string): unknown {
  const rest = pathname.replace(/^\/c\d+/, '');
  if (rest === '/api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
    };
  }
  if (rest === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };
  if (rest === '/api/v1') {
    return {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        {
          name: 'configmaps',
          singularName: 'configmap',
          namespaced: true,
          kind: 'ConfigMap',
          verbs: ['get', 'list'],
        },
      ],
    };
  }
  if (rest === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0-fake' };
  return { kind: 'ConfigMapList', apiVersion: 'v1', metadata: {}, items: [] };
}

let server: https.Server;
let base = '';
const seen: Seen[] = [];

beforeAll(async () => {
  server = https.createServer(
    {
      key: readFileSync(PKI('server.key')),
      cert: readFileSync(PKI('server.crt')),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://fake');
      const socket = req.socket as TLSSocket;
      const cn: unknown = socket.getPeerCertificate()?.subject?.CN;
      seen.push({
        path: url.pathname,
        query: url.searchParams,
        headers: req.headersDistinct,
        sni: socket.servername ?? false,
        clientCN: typeof cn === 'string' ? cn : undefined,
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply(url.pathname)));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no server address');
  base = `https://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** What a live case writes and passes; `s` is the fake server's base URL. */
interface LiveSetup {
  files: Record<string, KubeconfigParts | string>;
  /** KUBECONFIG entries, as names of `files`. */
  kubeconfigEnv?: string[];
  /** Flags; file names in kubeconfig/certificate flags are names of `files` or fixtures. */
  flags: ConnectionFlags;
}

interface LiveCase {
  name: string;
  setup: (s: string, dir: string) => LiveSetup;
  /** Also compare what an exec plugin was given (record file written by the plugin). */
  execRecord?: string;
  /**
   * kubectl's error where an older kubectl refuses what newer ones (and we) accept:
   * the test then accepts either answer from kubectl.
   */
  olderKubectlRefuses?: string;
}

/** One cluster per prefix, all on the fake server, trusted by the fixture CA. */
const cluster = (s: string, prefix: string, extra: Record<string, unknown> = {}) => ({
  server: `${s}/${prefix}`,
  'certificate-authority-data': b64(CA_PEM),
  ...extra,
});

/** One context "ctx" → cluster "c1-name" (/c1) and user "u". */
function simple(
  s: string,
  user: Record<string, unknown>,
  opts: {
    cluster?: Record<string, unknown>;
    context?: Record<string, unknown>;
    flags?: ConnectionFlags;
  } = {},
): LiveSetup {
  return {
    files: {
      'config.yaml': {
        currentContext: 'ctx',
        clusters: { 'c1-name': cluster(s, 'c1', opts.cluster) },
        users: { u: user },
        contexts: { ctx: { cluster: 'c1-name', user: 'u', namespace: 'ctx-ns', ...opts.context } },
      },
    },
    flags: { kubeconfig: 'config.yaml', ...opts.flags },
  };
}

const TOKEN = { token: 'fake-token-stanza' };
const pluginExec = (dir: string, mode: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'client.authentication.k8s.io/v1',
  command: PLUGIN,
  interactiveMode: 'IfAvailable',
  env: [
    { name: 'FAKE_PLUGIN_MODE', value: mode },
    { name: 'FAKE_PLUGIN_RECORD', value: path.join(dir, 'record.json') },
  ],
  ...extra,
});

const LIVE_CASES: LiveCase[] = [
  { name: 'token from the kubeconfig, namespace from the context', setup: (s) => simple(s, TOKEN) },
  {
    name: '--token over the kubeconfig token',
    setup: (s) => simple(s, TOKEN, { flags: { token: 'fake-token-flag' } }),
  },
  {
    name: 'tokenFile (relative) beats token',
    setup: (s) => {
      const live = simple(s, { ...TOKEN, tokenFile: 'token.txt' });
      live.files['token.txt'] = 'fake-token-file\n';
      return live;
    },
  },
  {
    name: 'a readable tokenFile beats even --token',
    setup: (s) => {
      const live = simple(s, { tokenFile: 'token.txt' }, { flags: { token: 'fake-token-flag' } });
      live.files['token.txt'] = 'fake-token-file\n';
      return live;
    },
  },
  {
    name: 'an unreadable tokenFile falls back to token',
    setup: (s) => simple(s, { ...TOKEN, tokenFile: 'missing.txt' }),
  },
  {
    name: 'basic auth from the kubeconfig',
    setup: (s) => simple(s, { username: 'bob', password: 'fake-password' }),
  },
  {
    name: '--username and --password',
    setup: (s) => simple(s, {}, { flags: { username: 'carol', password: 'fake-password-flag' } }),
  },
  {
    name: 'client certificate files, relative to the kubeconfig',
    setup: (s, dir) =>
      simple(s, {
        'client-certificate': path.relative(dir, PKI('client.crt')),
        'client-key': path.relative(dir, PKI('client.key')),
      }),
  },
  {
    name: '--client-certificate/--client-key replace the stanza data',
    setup: (s) =>
      simple(
        s,
        { 'client-certificate-data': b64('junk'), 'client-key-data': b64('junk') },
        { flags: { clientCertificate: PKI('client.crt'), clientKey: PKI('client.key') } },
      ),
    // Fixed in kubectl 1.35 (kubernetes/kubernetes#133917); 1.32 still says this.
    olderKubectlRefuses:
      'Error in configuration: \n' +
      '* client-cert-data and client-cert are both specified for u. client-cert-data will ' +
      'override.\n* client-key-data and client-key are both specified for u; client-key-data ' +
      'will override\n',
  },
  {
    name: '--token is sent along with a kubeconfig client certificate',
    setup: (s) =>
      simple(
        s,
        { 'client-certificate': PKI('client.crt'), 'client-key': PKI('client.key') },
        { flags: { token: 'fake-token-flag' } },
      ),
  },
  {
    name: '--server over the cluster, clearing its tls-server-name',
    setup: (s) =>
      simple(s, TOKEN, {
        cluster: { 'tls-server-name': 'wrong-sni.example' },
        flags: { server: `${s}/c2` },
      }),
  },
  {
    name: '--tls-server-name',
    setup: (s) => simple(s, TOKEN, { flags: { tlsServerName: 'fake-sni.example' } }),
  },
  {
    name: 'tls-server-name from the kubeconfig',
    setup: (s) => simple(s, TOKEN, { cluster: { 'tls-server-name': 'fake-sni.example' } }),
  },
  {
    name: 'a wrong CA fails verification',
    setup: (s) =>
      simple(s, TOKEN, { cluster: { 'certificate-authority-data': b64(OTHER_CA_PEM) } }),
  },
  {
    name: '--insecure-skip-tls-verify drops a wrong kubeconfig CA',
    setup: (s) =>
      simple(s, TOKEN, {
        cluster: { 'certificate-authority-data': b64(OTHER_CA_PEM) },
        flags: { insecureSkipTlsVerify: true },
      }),
  },
  {
    name: 'insecure-skip-tls-verify from the kubeconfig',
    setup: (s) =>
      simple(s, TOKEN, {
        cluster: { 'certificate-authority-data': null, 'insecure-skip-tls-verify': true },
      }),
  },
  {
    name: '--certificate-authority over kubeconfig insecure',
    setup: (s) =>
      simple(s, TOKEN, {
        cluster: { 'certificate-authority-data': null, 'insecure-skip-tls-verify': true },
        flags: { certificateAuthority: PKI('ca.crt') },
      }),
  },
  {
    name: '--as, --as-group twice, --as-uid',
    setup: (s) =>
      simple(s, TOKEN, { flags: { as: 'jane', asGroups: ['devs', 'ops'], asUid: 'uid-7' } }),
  },
  {
    name: 'impersonation from the user stanza, with extras',
    setup: (s) =>
      simple(s, {
        ...TOKEN,
        as: 'stanza-jane',
        'as-groups': ['g1'],
        'as-uid': 'uid-1',
        'as-user-extra': { scopes: ['read', 'write'] },
      }),
  },
  {
    name: '--request-timeout as a Go duration',
    setup: (s) => simple(s, TOKEN, { flags: { requestTimeout: '1m30s' } }),
  },
  {
    name: '--request-timeout in whole seconds',
    setup: (s) => simple(s, TOKEN, { flags: { requestTimeout: '7' } }),
  },
  {
    name: '--request-timeout 0 is none',
    setup: (s) => simple(s, TOKEN, { flags: { requestTimeout: '0' } }),
  },
  {
    name: '--disable-compression',
    setup: (s) => simple(s, TOKEN, { flags: { disableCompression: true } }),
  },
  {
    name: 'disable-compression from the kubeconfig',
    setup: (s) => simple(s, TOKEN, { cluster: { 'disable-compression': true } }),
  },
  {
    name: '-n over the context namespace',
    setup: (s) => simple(s, TOKEN, { flags: { namespace: 'flag-ns' } }),
  },
  {
    name: 'no namespace in the context: default',
    setup: (s) => simple(s, TOKEN, { context: { namespace: null } }),
  },
  {
    name: 'a server URL with a path loses its query',
    setup: (s) => simple(s, TOKEN, { cluster: { server: `${s}/c1?ignored=1` } }),
  },
  {
    name: '--context/--cluster/--user mixes with unrelated names',
    setup: (s) => ({
      files: {
        'config.yaml': {
          currentContext: 'dev',
          clusters: { 'cluster-a': cluster(s, 'c1'), 'cluster-b': cluster(s, 'c2') },
          users: { 'user-a': { token: 'fake-token-a' }, 'user-b': { token: 'fake-token-b' } },
          contexts: {
            dev: { cluster: 'cluster-a', user: 'user-a', namespace: 'dev-ns' },
            prod: { cluster: 'cluster-b', user: 'user-b', namespace: 'prod-ns' },
          },
        },
      },
      flags: { kubeconfig: 'config.yaml', context: 'prod', cluster: 'cluster-a', user: 'user-a' },
    }),
  },
  {
    name: '--cluster alone, no current-context',
    setup: (s) => ({
      files: { 'config.yaml': { clusters: { lone: cluster(s, 'c3') } } },
      flags: { kubeconfig: 'config.yaml', cluster: 'lone', token: 'fake-token-flag' },
    }),
  },
  {
    name: 'KUBECONFIG: same names in two files, current-context in the second only',
    setup: (s) => ({
      files: {
        'a.yaml': {
          clusters: { shared: cluster(s, 'c1') },
          users: { u: { token: 'fake-a' } },
          contexts: { 'ctx-a': { cluster: 'shared', user: 'u' } },
        },
        'b.yaml': {
          currentContext: 'ctx-b',
          clusters: { shared: cluster(s, 'c2', { 'tls-server-name': 'wrong-sni.example' }) },
          users: { u: { token: 'fake-b' } },
          contexts: { 'ctx-b': { cluster: 'shared', user: 'u', namespace: 'b-ns' } },
        },
      },
      kubeconfigEnv: ['missing.yaml', 'a.yaml', 'missing-too.yaml', 'b.yaml'],
      flags: {},
    }),
  },
  {
    name: '--server with no kubeconfig at all',
    setup: (s) => ({
      files: {},
      flags: { server: `${s}/c4`, certificateAuthority: PKI('ca.crt'), token: 'fake-token-flag' },
    }),
  },
  {
    name: 'exec plugin with cluster info and its extension',
    execRecord: 'record.json',
    setup: (s, dir) =>
      simple(
        s,
        { exec: pluginExec(dir, 'token', { args: ['get', 'token'], provideClusterInfo: true }) },
        {
          cluster: {
            'tls-server-name': 'fake-sni.example',
            extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { aud: 'fake' } }],
          },
        },
      ),
  },
  {
    name: 'exec plugin with a relative command, v1beta1',
    execRecord: 'record.json',
    setup: (s, dir) =>
      simple(s, {
        exec: {
          ...pluginExec(dir, 'token'),
          command: path.relative(dir, PLUGIN),
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          interactiveMode: undefined,
          env: [
            ...pluginExec(dir, 'token').env,
            { name: 'FAKE_PLUGIN_VERSION', value: 'client.authentication.k8s.io/v1beta1' },
          ],
        },
      }),
  },
  {
    name: 'exec plugin skipped when --token is given',
    setup: (s, dir) =>
      simple(s, { exec: pluginExec(dir, 'fail') }, { flags: { token: 'fake-token-flag' } }),
  },
];

/** Writes a live case's files; names in flags and KUBECONFIG become absolute paths. */
function materialize(
  live: LiveSetup,
  dir: string,
): { env: NodeJS.ProcessEnv; flags: ConnectionFlags } {
  for (const [name, content] of Object.entries(live.files)) {
    writeFiles(dir, { [name]: typeof content === 'string' ? content : kubeconfigYaml(content) });
  }
  const env: NodeJS.ProcessEnv = { HOME: path.join(dir, 'home') };
  if (live.kubeconfigEnv) {
    env.KUBECONFIG = live.kubeconfigEnv.map((name) => path.join(dir, name)).join(':');
  }
  const flags = { ...live.flags };
  if (flags.kubeconfig) flags.kubeconfig = path.join(dir, flags.kubeconfig);
  return { env, flags };
}

/** What kubectl's namespaced list request looked like; undefined if it never came. */
function observed(requests: Seen[]): Record<string, unknown> | undefined {
  const list = requests.find((r) => /\/api\/v1\/namespaces\/[^/]+\/configmaps$/.test(r.path));
  if (!list) return undefined;
  const [, prefix, namespace] = /^\/([^/]+)\/api\/v1\/namespaces\/([^/]+)\//.exec(list.path) ?? [];
  const header = (name: string) => list.headers[name];
  const extra = Object.fromEntries(
    Object.entries(list.headers)
      .filter(([name]) => name.startsWith('impersonate-extra-'))
      .map(([name, values]) => [name.slice('impersonate-extra-'.length), values]),
  );
  const timeout = list.query.get('timeout');
  return {
    prefix,
    namespace,
    timeoutMs: timeout === null ? 0 : parseGoDuration(timeout),
    authorization: header('authorization')?.[0],
    impersonateUser: header('impersonate-user')?.[0],
    impersonateGroups: header('impersonate-group') ?? [],
    impersonateUid: header('impersonate-uid')?.[0],
    impersonateExtra: extra,
    sni: list.sni,
    clientCN: list.clientCN,
    gzip: header('accept-encoding')?.[0] === 'gzip',
  };
}

/** What our config and credentials say kubectl's request should look like. */
function predicted(
  config: ResolvedConfig,
  creds: Credentials,
): Record<string, unknown> | undefined {
  const verified =
    config.cluster.insecureSkipTlsVerify || config.cluster.certificateAuthorityPem === CA_PEM;
  if (!verified) return undefined;
  const url = new URL(config.cluster.server);
  const basic =
    creds.username !== undefined
      ? `Basic ${b64(`${creds.username}:${creds.password ?? ''}`)}`
      : undefined;
  const cn = creds.clientCertificatePem
    ? /CN=([^\n]+)/.exec(new X509Certificate(creds.clientCertificatePem).subject)?.[1]
    : undefined;
  const imp = config.user.impersonate;
  return {
    prefix: url.pathname.replace(/^\//, ''),
    namespace: config.namespace,
    timeoutMs: config.requestTimeoutMs,
    authorization: creds.token !== undefined ? `Bearer ${creds.token}` : basic,
    impersonateUser: imp?.user,
    impersonateGroups: imp?.groups ?? [],
    impersonateUid: imp?.uid,
    impersonateExtra: imp?.extra ?? {},
    sni: config.cluster.tlsServerName ?? (isIP(url.hostname) ? false : url.hostname),
    clientCN: cn,
    gzip: !config.cluster.disableCompression,
  };
}

describe('parity with what kubectl sends to an API server', () => {
  it.each(LIVE_CASES)('$name', async (testCase) => {
    const dir = tempDir();
    const { env, flags } = materialize(testCase.setup(base, dir), dir);
    const record = testCase.execRecord ? path.join(dir, testCase.execRecord) : undefined;

    seen.length = 0;
    const run = await kubectl(['get', 'configmaps', '-o', 'name', ...kubectlArgs(flags)], env);
    const theirs = observed(seen);
    expect(run.code === 0, run.stderr).toBe(theirs !== undefined);
    if (testCase.olderKubectlRefuses !== undefined && run.code !== 0) {
      expect(run.stderr).toBe(testCase.olderKubectlRefuses);
      const { config, credentials } = await ours(env, flags, true);
      expect(predicted(config, credentials ?? {})).toBeDefined();
      return;
    }
    const kubectlGave = record ? readFileSync(record, 'utf8') : undefined;
    if (record) rmSync(record);

    const { config, credentials } = await ours(env, flags, true);
    expect(predicted(config, credentials ?? {})).toEqual(theirs);
    if (record) {
      expect(JSON.parse(readFileSync(record, 'utf8'))).toEqual(JSON.parse(kubectlGave ?? ''));
    }
  });
});

/** Setups kubectl refuses; we must refuse them too, with our own words. */
const REFUSALS: { name: string; setup: (s: string, dir: string) => LiveSetup; ours: string }[] = [
  {
    name: 'an unknown --context',
    setup: (s) => simple(s, TOKEN, { flags: { context: 'nope' } }),
    ours: 'context "nope" does not exist (contexts: "ctx")',
  },
  {
    name: 'an unknown --cluster',
    setup: (s) => simple(s, TOKEN, { flags: { cluster: 'nope' } }),
    ours: 'cluster "nope" does not exist (clusters: "c1-name")',
  },
  {
    name: 'an unknown --user',
    setup: (s) => simple(s, TOKEN, { flags: { user: 'nope' } }),
    ours: 'user "nope" does not exist (users: "u")',
  },
  {
    name: 'a current-context that does not exist',
    setup: (s) => {
      const live = simple(s, TOKEN);
      (live.files['config.yaml'] as KubeconfigParts).currentContext = 'gone';
      return live;
    },
    ours:
      'current-context "gone" (set in "DIR/config.yaml") does not exist (pass --context ' +
      'NAME; contexts: "ctx")',
  },
  {
    name: '--insecure-skip-tls-verify with --certificate-authority',
    setup: (s) =>
      simple(s, TOKEN, {
        flags: { insecureSkipTlsVerify: true, certificateAuthority: PKI('ca.crt') },
      }),
    ours:
      '--certificate-authority cannot be used with --insecure-skip-tls-verify (an ' +
      'unverified server needs no CA)',
  },
  {
    name: 'insecure-skip-tls-verify with a CA in the kubeconfig',
    setup: (s) => simple(s, TOKEN, { cluster: { 'insecure-skip-tls-verify': true } }),
    ours:
      'invalid kubeconfig "DIR/config.yaml": clusters[0].cluster sets ' +
      'insecure-skip-tls-verify together with a certificate authority, which kubectl refuses ' +
      '(keep one)',
  },
  {
    name: 'a bad --request-timeout',
    setup: (s) => simple(s, TOKEN, { flags: { requestTimeout: '1.5' } }),
    ours:
      'invalid --request-timeout "1.5": use 0 (no timeout), whole seconds such as 30, or a ' +
      'duration such as 5s, 1m or 1h30m',
  },
  {
    name: 'a token with a username',
    setup: (s) => simple(s, TOKEN, { flags: { username: 'bob' } }),
    ours:
      'user "u" has both a token and a username/password, and kubectl allows only one ' +
      '(remove one, or override with --token or --username)',
  },
  {
    name: 'a tokenFile with a username',
    setup: (s) => {
      const live = simple(s, { tokenFile: 'token.txt', username: 'bob' });
      live.files['token.txt'] = 'fake-token-file\n';
      return live;
    },
    ours:
      'user "u" has both a token and a username/password, and kubectl allows only one ' +
      '(remove one, or override with --token or --username)',
  },
  {
    name: 'an exec v1 stanza without interactiveMode',
    setup: (s, dir) =>
      simple(s, {
        exec: {
          ...pluginExec(dir, 'token'),
          interactiveMode: undefined,
        },
      }),
    ours:
      'invalid kubeconfig "DIR/config.yaml": users[0].user.exec.interactiveMode must be set ' +
      'with apiVersion client.authentication.k8s.io/v1 (Never, IfAvailable or Always)',
  },
  {
    name: 'an exec plugin that fails',
    setup: (s, dir) => simple(s, { exec: pluginExec(dir, 'fail') }),
    ours: `failed to run exec plugin "${PLUGIN}" of user "u": exit code 3`,
  },
  {
    name: 'a proxy-url with an unsupported scheme',
    setup: (s) => simple(s, TOKEN, { cluster: { 'proxy-url': 'ftp://proxy.example' } }),
    ours:
      'invalid proxy-url "ftp://proxy.example" of cluster "c1-name": unsupported scheme ' +
      '"ftp" (use http, https or socks5)',
  },
  {
    name: 'a missing CA file',
    setup: (s) =>
      simple(s, TOKEN, {
        cluster: {
          'certificate-authority-data': null,
          'certificate-authority': 'missing.crt',
        },
      }),
    ours:
      'failed to read certificate-authority "DIR/missing.crt" of cluster "c1-name": ' +
      'no such file',
  },
];

describe('parity: kubectl refuses, so do we', () => {
  it.each(REFUSALS)('$name', async (refusal) => {
    const dir = tempDir();
    const { env, flags } = materialize(refusal.setup(base, dir), dir);
    seen.length = 0;
    const run = await kubectl(['get', 'configmaps', '-o', 'name', ...kubectlArgs(flags)], env);
    expect(run.code, run.stderr).not.toBe(0);
    expect(observed(seen)).toBeUndefined();
    expect((await caught(ours(env, flags, true))).message).toBe(
      refusal.ours.replaceAll('DIR', dir),
    );
  });
});

/**
 * Where we differ from kubectl on purpose; each case pins what kubectl does,
 * so a kubectl release that changes it shows up here.
 */
const DIFFERENCES: {
  name: string;
  setup: (s: string, dir: string) => LiveSetup;
  kubectl: (run: KubectlRun, requests: Seen[]) => void;
  ours: string | ((config: ResolvedConfig) => void);
}[] = [
  {
    name: 'no context: kubectl falls back to localhost:8080, we stop',
    setup: (s) => ({
      files: { 'config.yaml': { clusters: { c: cluster(s, 'c1') } } },
      flags: { kubeconfig: 'config.yaml' },
    }),
    kubectl: (run) => expect(run.stderr).toContain('localhost:8080'),
    ours:
      'no context chosen: the kubeconfig ("DIR/config.yaml") defines no contexts (add one ' +
      'with kubectl config set-context, or pass --server)',
  },
  {
    name: 'a context naming an unknown cluster: kubectl uses localhost:8080, we stop',
    setup: (s) => simple(s, TOKEN, { context: { cluster: 'gone' } }),
    kubectl: (run) => expect(run.stderr).toContain('localhost:8080'),
    ours: 'cluster "gone" (named by context "ctx") does not exist (clusters: "c1-name")',
  },
  {
    name: 'a broken stanza nothing uses: kubectl refuses the file, we go on',
    setup: (s) => {
      const live = simple(s, TOKEN);
      (live.files['config.yaml'] as KubeconfigParts).clusters = {
        'c1-name': cluster(s, 'c1'),
        broken: { server: ['not', 'a', 'string'] },
      };
      return live;
    },
    kubectl: (run) => expect(run.stderr).toContain('cannot unmarshal array'),
    ours: (config) => expect(config.cluster.server).toBe(`${base}/c1`),
  },
  {
    name: 'a negative --request-timeout: kubectl sends it, we refuse',
    setup: (s) => simple(s, TOKEN, { flags: { requestTimeout: '-5s' } }),
    kubectl: (run, requests) => {
      expect(run.code).toBe(0);
      expect(requests.at(-1)?.query.get('timeout')).toBe('-5s');
    },
    ours:
      'invalid --request-timeout "-5s": use 0 (no timeout), whole seconds such as 30, or a ' +
      'duration such as 5s, 1m or 1h30m',
  },
];

describe('deliberate differences from kubectl', () => {
  it.each(DIFFERENCES)('$name', async (difference) => {
    const dir = tempDir();
    const { env, flags } = materialize(difference.setup(base, dir), dir);
    seen.length = 0;
    const run = await kubectl(
      ['get', 'configmaps', '-o', 'name', '--request-timeout=5s', ...kubectlArgs(flags)],
      env,
    );
    difference.kubectl(run, seen);
    if (typeof difference.ours === 'string') {
      expect((await caught(ours(env, flags))).message).toBe(difference.ours.replaceAll('DIR', dir));
    } else {
      difference.ours((await ours(env, flags)).config);
    }
  });
});
