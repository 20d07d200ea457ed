import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { UserError } from '../../src/errors.js';
import { type Spawner, getCredentials } from '../../src/kubeconfig/credentials.js';
import { printable, quote } from '../../src/kubeconfig/fields.js';
import { loadKubeconfig } from '../../src/kubeconfig/load.js';
import { resolveConfig } from '../../src/kubeconfig/resolve.js';
import type {
  ExecConfig,
  ResolvedCluster,
  ResolvedConfig,
  ResolvedUser,
} from '../../src/kubeconfig/types.js';
import {
  expectError,
  fixture,
  recordingLog,
  tempDir,
  writeFiles,
} from '../fixtures/kubeconfig/harness.js';

const PLUGIN = fixture('plugins', 'fake-plugin.mjs');
const CA_PEM = readFileSync(fixture('pki', 'ca.crt'), 'utf8');
const CLIENT_CERT = readFileSync(fixture('pki', 'client.crt'), 'utf8');
const CLIENT_KEY = readFileSync(fixture('pki', 'client.key'), 'utf8');
const V1 = 'client.authentication.k8s.io/v1';
const LABEL = `exec plugin "${PLUGIN}" of user "u"`;

/** A resolved config with user "u" on cluster "c"; fields override the defaults. */
function config(
  user: Partial<ResolvedUser> = {},
  cluster: Partial<ResolvedCluster> = {},
): ResolvedConfig {
  return {
    files: [],
    contextName: 'ctx',
    namespace: 'default',
    requestTimeoutMs: 0,
    cluster: {
      name: 'c',
      server: 'https://c.example',
      insecureSkipTlsVerify: false,
      disableCompression: false,
      ...cluster,
    },
    user: { name: 'u', ...user },
  };
}

/** An exec stanza for the fake plugin in `mode`, recording what it got into `record`. */
function exec(mode: string, record?: string, fields: Partial<ExecConfig> = {}): ExecConfig {
  const env = [{ name: 'FAKE_PLUGIN_MODE', value: mode }];
  if (record) env.push({ name: 'FAKE_PLUGIN_RECORD', value: record });
  return {
    apiVersion: V1,
    command: PLUGIN,
    args: [],
    env,
    provideClusterInfo: false,
    interactiveMode: 'IfAvailable',
    ...fields,
  };
}

async function credentialsOf(
  resolved: ResolvedConfig,
  opts: { tty?: boolean; spawn?: Spawner; env?: NodeJS.ProcessEnv; level?: number } = {},
) {
  const { log, lines } = recordingLog(opts.level ?? 0);
  const credentials = await getCredentials(resolved, {
    env: opts.env ?? process.env,
    stdinIsTTY: opts.tty,
    log,
    spawn: opts.spawn,
  });
  return { credentials, lines, log };
}

/** Runs the fake plugin for real and returns its credentials and what it was given. */
async function runPlugin(
  mode: string,
  fields: Partial<ExecConfig> = {},
  cluster: Partial<ResolvedCluster> = {},
) {
  const record = path.join(tempDir(), 'record.json');
  const stanza = exec(mode, record, fields);
  if (fields.env) stanza.env = [...fields.env, { name: 'FAKE_PLUGIN_RECORD', value: record }];
  const result = await credentialsOf(config({ exec: stanza }, cluster));
  const given = JSON.parse(readFileSync(record, 'utf8')) as Record<string, unknown>;
  return { ...result, given };
}

interface SpawnCall {
  command: string;
  args: string[];
  stdio: string[];
  env: NodeJS.ProcessEnv;
}

/** A spawn that never starts a process: it replies `stdout` and exits with `code`. */
function fakeSpawn(stdout: string, code = 0): { spawn: Spawner; calls: SpawnCall[] } {
  const calls: SpawnCall[] = [];
  const spawn: Spawner = (command, args, options) => {
    calls.push({ command, args, stdio: [...options.stdio], env: options.env });
    const child = Object.assign(new EventEmitter(), {
      stdout: Readable.from([Buffer.from(stdout)]),
    });
    child.stdout.on('end', () => setImmediate(() => child.emit('close', code, null)));
    return child;
  };
  return { spawn, calls };
}

const TOKEN_REPLY = JSON.stringify({
  apiVersion: V1,
  kind: 'ExecCredential',
  status: { token: 'fake-token-from-fake-spawn' },
});

describe('static credentials', () => {
  it('passes the token, basic auth and client certificate on', async () => {
    const { credentials } = await credentialsOf(
      config({
        token: 'fake-token',
        username: 'bob',
        password: 'fake-password',
        clientCertificatePem: CLIENT_CERT,
        clientKeyPem: CLIENT_KEY,
      }),
    );
    expect(credentials).toEqual({
      token: 'fake-token',
      username: 'bob',
      password: 'fake-password',
      clientCertificatePem: CLIENT_CERT,
      clientKeyPem: CLIENT_KEY,
    });
  });

  it('has no credentials for a user without any', async () => {
    expect((await credentialsOf(config())).credentials).toEqual({});
  });

  it('reads tokenFile when used, trimmed, in preference to token (as client-go)', async () => {
    const file = path.join(writeFiles(tempDir(), { token: '  fake-token-file\n\n' }), 'token');
    const { credentials, log } = await credentialsOf(
      config({ tokenFile: file, token: 'fake-token-stanza' }),
    );
    expect(credentials.token).toBe('fake-token-file');
    expect(log.redact('x fake-token-file')).toBe('x <redacted>');
  });

  it('falls back to token when tokenFile cannot be read or is empty, at -v 1', async () => {
    const dir = writeFiles(tempDir(), { empty: '\n' });
    const missing = path.join(dir, 'missing');
    const unreadable = await credentialsOf(config({ tokenFile: missing, token: 'fake-token' }), {
      level: 1,
    });
    expect(unreadable.credentials.token).toBe('fake-token');
    expect(unreadable.lines()).toEqual([
      `failed to read tokenFile "${missing}" of user "u": ` +
        "no such file; using the user's token instead",
    ]);
    const empty = await credentialsOf(
      config({ tokenFile: path.join(dir, 'empty'), token: 'fake-token' }),
    );
    expect(empty.credentials.token).toBe('fake-token');
  });

  it('fails when tokenFile cannot be read or is empty and there is no token', async () => {
    const dir = writeFiles(tempDir(), { empty: ' \n' });
    await expectError(
      credentialsOf(config({ tokenFile: path.join(dir, 'missing') })),
      UserError,
      `failed to read tokenFile "${dir}/missing" of user "u": no such file`,
    );
    await expectError(
      credentialsOf(config({ tokenFile: path.join(dir, 'empty') })),
      UserError,
      `tokenFile "${dir}/empty" of user "u" is empty`,
    );
  });
});

describe('auth-provider', () => {
  it.each([
    [
      'gcp',
      'install gke-gcloud-auth-plugin and run gcloud container clusters ' +
        'get-credentials again, which switches the user to it',
    ],
    [
      'azure',
      'install kubelogin (https://github.com/Azure/kubelogin) and run kubelogin ' +
        'convert-kubeconfig, which switches the user to it',
    ],
    ['oidc', 'switch the user to the kubelogin exec plugin (https://github.com/int128/kubelogin)'],
    ['openstack', 'switch the user to an exec credential plugin'],
  ])('refuses %s, naming what replaces it', async (name, fix) => {
    await expectError(
      credentialsOf(config({ authProvider: name, token: 'fake' })),
      UserError,
      `user "u" uses the "${name}" auth-provider, which kubectl sa-kubeconfig does not ` +
        `support (${fix})`,
    );
  });
});

describe('exec plugin: running it', () => {
  it('runs the command with args and the env added, and uses the token', async () => {
    const { credentials, given } = await runPlugin('token', {
      args: ['get-token', '--fake'],
      env: [
        { name: 'FAKE_PLUGIN_MODE', value: 'token' },
        { name: 'FAKE_ENV', value: 'set' },
      ],
    });
    expect(credentials).toEqual({ token: 'fake-token-from-plugin' });
    expect(given.args).toEqual(['get-token', '--fake']);
    expect(given.fakeEnv).toBe('set');
  });

  it('lets the stanza env override ours, and sets KUBERNETES_EXEC_INFO last', async () => {
    const { spawn, calls } = fakeSpawn(TOKEN_REPLY);
    const stanza = exec('token', undefined, {
      env: [
        { name: 'SHARED', value: 'stanza' },
        { name: 'KUBERNETES_EXEC_INFO', value: 'stanza' },
      ],
    });
    await credentialsOf(config({ exec: stanza }), { spawn, env: { SHARED: 'ours', KEEP: '1' } });
    expect(calls[0].env).toEqual({
      SHARED: 'stanza',
      KEEP: '1',
      KUBERNETES_EXEC_INFO: JSON.stringify({
        kind: 'ExecCredential',
        apiVersion: V1,
        spec: { interactive: false },
      }),
    });
  });

  it('gives no stdin unless interactive, and always the terminal stderr', async () => {
    const { given } = await runPlugin('token');
    expect(given.stdin).toBe('/dev/null');
    const { spawn, calls } = fakeSpawn(TOKEN_REPLY);
    await credentialsOf(config({ exec: exec('token') }), { spawn, tty: false });
    await credentialsOf(config({ exec: exec('token') }), { spawn, tty: true });
    expect(calls.map((c) => c.stdio)).toEqual([
      ['ignore', 'pipe', 'inherit'],
      ['inherit', 'pipe', 'inherit'],
    ]);
  });

  it.each([
    ['Never', false, false],
    ['Never', true, false],
    ['IfAvailable', false, false],
    ['IfAvailable', true, true],
    ['Always', true, true],
  ] as const)(
    'with interactiveMode %s and a terminal: %s, is interactive: %s',
    async (mode, tty, interactive) => {
      const { spawn, calls } = fakeSpawn(TOKEN_REPLY);
      await credentialsOf(config({ exec: exec('token', undefined, { interactiveMode: mode }) }), {
        spawn,
        tty,
      });
      const info = JSON.parse(calls[0].env.KUBERNETES_EXEC_INFO ?? '') as {
        spec: { interactive: boolean };
      };
      expect(info.spec.interactive).toBe(interactive);
    },
  );

  it('refuses interactiveMode Always without a terminal', async () => {
    await expectError(
      credentialsOf(config({ exec: exec('token', undefined, { interactiveMode: 'Always' }) })),
      UserError,
      `${LABEL} needs a terminal ` +
        '(interactiveMode: Always), but standard input is not a terminal (run the command ' +
        'from a terminal)',
    );
  });

  it('sends the cluster only when provideClusterInfo is set', async () => {
    const cluster: Partial<ResolvedCluster> = {
      server: 'https://c.example:6443/prefix',
      certificateAuthorityPem: CA_PEM,
      tlsServerName: 'sni.example',
      proxyUrl: 'http://proxy.example:3128',
      disableCompression: true,
    };
    const plain = await runPlugin('token', {}, cluster);
    expect(plain.given.execInfo).toEqual({
      kind: 'ExecCredential',
      apiVersion: V1,
      spec: { interactive: false },
    });
    const withInfo = await runPlugin(
      'token',
      {
        provideClusterInfo: true,
        clusterExtension: { audience: 'fake', nested: { list: [1, 2] } },
      },
      cluster,
    );
    expect(withInfo.given.execInfo).toEqual({
      kind: 'ExecCredential',
      apiVersion: V1,
      spec: {
        cluster: {
          server: 'https://c.example:6443/prefix',
          'tls-server-name': 'sni.example',
          'certificate-authority-data': Buffer.from(CA_PEM).toString('base64'),
          'proxy-url': 'http://proxy.example:3128',
          'disable-compression': true,
          config: { audience: 'fake', nested: { list: [1, 2] } },
        },
        interactive: false,
      },
    });
  });

  it('tells the plugin about an insecure cluster', async () => {
    const { given } = await runPlugin(
      'token',
      { provideClusterInfo: true },
      { insecureSkipTlsVerify: true },
    );
    expect(given.execInfo).toMatchObject({
      spec: {
        cluster: {
          server: 'https://c.example',
          'insecure-skip-tls-verify': true,
        },
      },
    });
  });

  it('speaks v1beta1 too', async () => {
    const { credentials, given } = await runPlugin('token', {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      env: [
        { name: 'FAKE_PLUGIN_MODE', value: 'token' },
        { name: 'FAKE_PLUGIN_VERSION', value: 'client.authentication.k8s.io/v1beta1' },
      ],
    });
    expect(credentials.token).toBe('fake-token-from-plugin');
    expect(given.execInfo).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1beta1' });
  });

  it('runs a plugin named relative to its kubeconfig', async () => {
    const file = fixture('relative', 'sub', 'config.yaml');
    const { log } = recordingLog();
    const merged = await loadKubeconfig({ explicitPath: file, env: {}, log });
    const resolved = resolveConfig(merged, { user: 'rel-exec-user' }, log);
    const credentials = await getCredentials(resolved, { env: process.env, log });
    expect(credentials.token).toBe('fake-token-relative-plugin');
  });
});

describe('exec plugin: skipped', () => {
  it.each([
    ['a token', { token: 'fake-token' }],
    ['a token', { tokenFile: fixture('relative', 'sub', 'token.txt') }],
    ['a username', { username: 'bob' }],
    ['a client certificate', { clientCertificatePem: CLIENT_CERT, clientKeyPem: CLIENT_KEY }],
  ])('when the user already has %s, as client-go does', async (what, user) => {
    const { spawn, calls } = fakeSpawn(TOKEN_REPLY);
    const { lines } = await credentialsOf(config({ ...user, exec: exec('token') }), {
      spawn,
      level: 1,
    });
    expect(calls).toEqual([]);
    expect(lines()).toEqual([`not running ${LABEL}: the user already has ${what}`]);
  });
});

describe('exec plugin: replies', () => {
  it('uses a client certificate and key', async () => {
    const { credentials } = await runPlugin('cert');
    expect(credentials).toEqual({
      clientCertificatePem: CLIENT_CERT,
      clientKeyPem: CLIENT_KEY,
      token: undefined,
      expiresAt: undefined,
    });
  });

  it('keeps expirationTimestamp as expiresAt', async () => {
    const { credentials } = await runPlugin('expiring');
    expect(credentials.expiresAt).toEqual(new Date('2030-01-02T03:04:05Z'));
  });

  it("accepts a YAML reply, as client-go's decoder does", async () => {
    expect((await runPlugin('yaml')).credentials.token).toBe('fake-token-from-yaml');
  });

  it("registers the plugin's token and key as secrets", async () => {
    const { log } = await runPlugin('token');
    expect(log.redact('fake-token-from-plugin')).toBe('<redacted>');
    const cert = await runPlugin('cert');
    expect(cert.log.redact(CLIENT_KEY)).toBe('<redacted>');
  });

  it.each([
    ['garbage', 'stdout is not a JSON ExecCredential'],
    ['wrong-version', 'apiVersion is not "client.authentication.k8s.io/v1"'],
    ['wrong-kind', 'kind is not "ExecCredential"'],
    ['no-status', 'it has no status'],
    ['empty-status', 'it holds neither a token nor a certificate and key'],
    ['only-cert', 'it holds only one of clientCertificateData and clientKeyData'],
    ['bad-expiry', 'status.expirationTimestamp is not a time'],
  ])('refuses a reply that is %s, without quoting it', async (mode, why) => {
    await expectError(runPlugin(mode), UserError, `failed to read the reply of ${LABEL}: ${why}`);
  });

  it('never echoes a short apiVersion or kind, which may hold the token', async () => {
    const reply = (fields: Record<string, unknown>) =>
      fakeSpawn(JSON.stringify({ status: { token: 'fake-token-xyz' }, ...fields })).spawn;
    const cases: [Record<string, unknown>, string][] = [
      [{ apiVersion: 'fake-token-xyz', kind: 'ExecCredential' }, `apiVersion is not "${V1}"`],
      [{ apiVersion: V1, kind: 'fake-token-xyz' }, 'kind is not "ExecCredential"'],
      [{ kind: 'ExecCredential' }, `apiVersion is missing (expected "${V1}")`],
      [{ apiVersion: V1, kind: '' }, 'kind is missing (expected "ExecCredential")'],
    ];
    for (const [fields, why] of cases) {
      await expectError(
        credentialsOf(config({ exec: exec('x') }), { spawn: reply(fields) }),
        UserError,
        `failed to read the reply of ${LABEL}: ${why}`,
      );
    }
  });

  it('refuses a certificate and key that do not match', async () => {
    const { spawn } = fakeSpawn(
      JSON.stringify({
        apiVersion: V1,
        kind: 'ExecCredential',
        status: { clientCertificateData: CA_PEM, clientKeyData: CLIENT_KEY },
      }),
    );
    await expectError(
      credentialsOf(config({ exec: exec('x') }), { spawn }),
      UserError,
      `the client key of exec plugin "${PLUGIN}" of user "u" does not match its certificate`,
    );
  });
});

describe('exec plugin: failures', () => {
  it('names the command and exit code, never its stdout', async () => {
    // The exact message proves the plugin's stdout (a token) is not in it.
    await expectError(runPlugin('fail'), UserError, `failed to run ${LABEL}: exit code 3`);
  });

  it('names the signal that killed it', async () => {
    await expectError(runPlugin('signal'), UserError, `failed to run ${LABEL}: killed by SIGTERM`);
  });

  it('shows installHint, cleaned of control characters, when the command is missing', async () => {
    const stanza = exec('token', undefined, {
      command: 'fake-plugin-not-installed',
      installHint: 'install it with:\n\tbrew install \u001b[1mfake\u001b[0m',
    });
    await expectError(
      credentialsOf(config({ exec: stanza })),
      UserError,
      'failed to run exec plugin "fake-plugin-not-installed" of user "u": executable not ' +
        'found\n\ninstall it with:\n\tbrew install U+001B[1mfakeU+001B[0m',
    );
  });

  it('points at the docs when the command is missing and has no installHint', async () => {
    await expectError(
      credentialsOf(
        config({ exec: exec('token', undefined, { command: 'fake-plugin-not-installed' }) }),
      ),
      UserError,
      'failed to run exec plugin "fake-plugin-not-installed" of user "u": executable not ' +
        'found (install it, or fix the command in the kubeconfig; see https://kubernetes.io/' +
        'docs/reference/access-authn-authz/authentication/#client-go-credential-plugins)',
    );
  });

  it('says when the command is not executable', async () => {
    const file = path.join(tempDir(), 'plugin');
    writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    await expectError(
      credentialsOf(config({ exec: exec('token', undefined, { command: file }) })),
      UserError,
      `failed to run exec plugin "${file}" of user "u": permission denied (is it executable?)`,
    );
  });

  it('refuses v1alpha1 and unknown API versions', async () => {
    await expectError(
      credentialsOf(
        config({
          exec: exec('token', undefined, { apiVersion: 'client.authentication.k8s.io/v1alpha1' }),
        }),
      ),
      UserError,
      `${LABEL} uses apiVersion client.authentication.k8s.io/v1alpha1, which kubectl ` +
        'dropped in 1.24 (update the plugin and set apiVersion to ' +
        'client.authentication.k8s.io/v1)',
    );
    await expectError(
      credentialsOf(config({ exec: exec('token', undefined, { apiVersion: 'example.com/v9' }) })),
      UserError,
      `${LABEL} has unknown apiVersion "example.com/v9" (use client.authentication.k8s.io/v1 ` +
        'or client.authentication.k8s.io/v1beta1)',
    );
  });

  it('says at -v 1 that it runs the plugin', async () => {
    const { spawn } = fakeSpawn(TOKEN_REPLY);
    const { lines } = await credentialsOf(config({ exec: exec('token') }), {
      spawn,
      tty: true,
      level: 1,
    });
    expect(lines()).toEqual([`running ${LABEL} (interactive)`]);
  });
});

describe('printable and quote', () => {
  it('keeps text, and with keepLineBreaks tabs and line breaks; others show as U+XXXX', () => {
    expect(printable('a\tb\nc\r\u001b[31md\u0007\u200be ü', true)).toBe(
      'a\tb\nc\rU+001B[31mdU+0007U+200Be ü',
    );
  });

  it('shows tabs, line breaks and line separators as U+XXXX in a single-line name', () => {
    expect(printable('a\tb\nc\r\u2028d\u202ee ü')).toBe('aU+0009bU+000AcU+000DU+2028dU+202Ee ü');
    expect(quote('dev\u001b[2J')).toBe('"devU+001B[2J"');
  });
});
