import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { UserError } from '../../src/errors.js';
import { type LoadOptions, loadKubeconfig } from '../../src/kubeconfig/load.js';
import {
  caught,
  expectError,
  fixture,
  kubeconfigYaml,
  recordingLog,
  tempDir,
  writeFiles,
} from '../fixtures/kubeconfig/harness.js';

const FIRST = fixture('merge', 'first.yaml');
const SECOND = fixture('merge', 'second.yaml');
const THIRD = fixture('merge', 'third.yaml');

function load(opts: Partial<LoadOptions> & { env?: NodeJS.ProcessEnv }) {
  const { log } = recordingLog();
  return loadKubeconfig({ log, platform: 'linux', ...opts, env: opts.env ?? {} });
}

/** The body of a stanza as loaded (paths resolved, fields unchecked). */
function body(stanza: { body: unknown } | undefined): Record<string, unknown> {
  return (stanza?.body ?? {}) as Record<string, unknown>;
}

describe('which files are read', () => {
  it('reads only --kubeconfig, even when KUBECONFIG is set', async () => {
    const merged = await load({ explicitPath: SECOND, env: { KUBECONFIG: FIRST } });
    expect(merged.source).toBe('flag');
    expect(merged.files).toEqual([SECOND]);
    expect(merged.clusters.get('shared')?.file).toBe(SECOND);
  });

  it('requires the --kubeconfig file to exist', async () => {
    const missing = fixture('does-not-exist.yaml');
    await expectError(
      load({ explicitPath: missing }),
      UserError,
      `failed to read --kubeconfig "${missing}": no such file`,
    );
  });

  it('reads every KUBECONFIG file, in order', async () => {
    const merged = await load({ env: { KUBECONFIG: [FIRST, SECOND, THIRD].join(':') } });
    expect(merged.source).toBe('env');
    expect(merged.files).toEqual([FIRST, SECOND, THIRD]);
  });

  it('drops empty KUBECONFIG entries and reads a repeated one once', async () => {
    const merged = await load({ env: { KUBECONFIG: `:${FIRST}::${FIRST}:${SECOND}:` } });
    expect(merged.searched).toEqual([FIRST, SECOND]);
    expect(merged.files).toEqual([FIRST, SECOND]);
  });

  it('skips missing KUBECONFIG files and says so at -v 1', async () => {
    const missing = fixture('missing.yaml');
    const { log, lines } = recordingLog(1);
    const merged = await loadKubeconfig({
      log,
      platform: 'linux',
      env: { KUBECONFIG: `${missing}:${SECOND}` },
    });
    expect(merged.files).toEqual([SECOND]);
    expect(merged.searched).toEqual([missing, SECOND]);
    expect(lines()).toEqual([
      `kubeconfig: skipping "${missing}": no such file`,
      `kubeconfig: read "${SECOND}"`,
    ]);
  });

  it('returns no files, not an error, when every KUBECONFIG file is missing', async () => {
    const missing = fixture('missing.yaml');
    const { log, lines } = recordingLog(1);
    const merged = await loadKubeconfig({ log, env: { KUBECONFIG: missing } });
    expect(merged.files).toEqual([]);
    expect(merged.contexts.size).toBe(0);
    expect(lines().at(-1)).toBe(`kubeconfig: none of "${missing}" exists`);
  });

  it('reads no file, not even the home one, when KUBECONFIG holds only ":"', async () => {
    const home = writeFiles(tempDir(), { '.kube/config': kubeconfigYaml({}) });
    const { log, lines } = recordingLog(1);
    const merged = await loadKubeconfig({
      log,
      platform: 'linux',
      env: { KUBECONFIG: ':', HOME: home },
    });
    expect(merged).toMatchObject({ source: 'env', searched: [], files: [] });
    expect(lines()).toEqual(['kubeconfig: KUBECONFIG names no file']);
  });

  it('splits KUBECONFIG on ";" on Windows, where ":" is part of a path', async () => {
    const list = `${FIRST};${SECOND}`;
    expect((await load({ platform: 'win32', env: { KUBECONFIG: list } })).files).toEqual([
      FIRST,
      SECOND,
    ]);
    expect((await load({ platform: 'linux', env: { KUBECONFIG: list } })).searched).toEqual([list]);
  });

  it('reads ~/.kube/config when KUBECONFIG is unset or empty', async () => {
    const home = writeFiles(tempDir(), {
      '.kube/config': kubeconfigYaml({ currentContext: 'home-ctx' }),
    });
    for (const env of [{ HOME: home }, { HOME: home, KUBECONFIG: '' }]) {
      const merged = await load({ env });
      expect(merged.source).toBe('home');
      expect(merged.files).toEqual([path.join(home, '.kube', 'config')]);
      expect(merged.currentContext?.name).toBe('home-ctx');
    }
  });

  it('searches no home file when HOME is unset (not ./.kube/config)', async () => {
    const { log, lines } = recordingLog(1);
    const merged = await loadKubeconfig({ log, platform: 'linux', env: {} });
    expect(merged.searched).toEqual([]);
    expect(merged.files).toEqual([]);
    expect(lines()).toEqual(['kubeconfig: no file to read']);
  });

  it('tries HOME, HOMEDRIVE+HOMEPATH, then USERPROFILE on Windows', async () => {
    const merged = await load({
      platform: 'win32',
      env: { HOMEDRIVE: 'C:', HOMEPATH: '\\Users\\a', USERPROFILE: 'D:\\profiles\\a' },
    });
    expect(merged.searched).toEqual([
      'C:\\Users\\a\\.kube\\config',
      'D:\\profiles\\a\\.kube\\config',
    ]);
    const withHome = await load({
      platform: 'win32',
      env: { HOME: 'E:\\home', HOMEDRIVE: 'C:', USERPROFILE: 'F:\\u' },
    });
    // HOMEDRIVE without HOMEPATH is no candidate.
    expect(withHome.searched).toEqual(['E:\\home\\.kube\\config', 'F:\\u\\.kube\\config']);
  });
});

describe('merging', () => {
  const env = { KUBECONFIG: [FIRST, SECOND, THIRD].join(':') };

  it('keeps the first definition of a name as a whole stanza', async () => {
    const merged = await load({ env });
    const shared = merged.clusters.get('shared');
    expect(shared?.file).toBe(FIRST);
    // second.yaml's tls-server-name and proxy-url are dropped with its stanza.
    expect(body(shared)).toEqual({ server: 'https://first.example' });
    expect(body(merged.users.get('shared-user'))).toEqual({ token: 'fake-token-first' });
  });

  it('adds the names only later files define', async () => {
    const merged = await load({ env });
    expect([...merged.clusters.keys()]).toEqual(['shared', 'only-first', 'only-second']);
    expect([...merged.contexts.keys()]).toEqual(['first-ctx', 'second-ctx', 'third-ctx']);
    expect(merged.contexts.get('second-ctx')?.file).toBe(SECOND);
  });

  it('takes current-context from the first file that sets a non-empty one', async () => {
    // first.yaml sets "", second.yaml sets second-ctx, third.yaml is too late.
    expect((await load({ env })).currentContext).toEqual({ name: 'second-ctx', file: SECOND });
  });

  it('records where each stanza came from, for error messages', async () => {
    const merged = await load({ env });
    expect(merged.users.get('second-user')).toMatchObject({ file: SECOND, path: 'users[1]' });
  });
});

describe('relative paths', () => {
  const config = fixture('relative', 'sub', 'config.yaml');

  it('resolves file paths against the folder of the defining file', async () => {
    const merged = await load({ explicitPath: config });
    expect(body(merged.clusters.get('rel-cluster'))['certificate-authority']).toBe(
      fixture('pki', 'ca.crt'),
    );
    expect(body(merged.users.get('rel-user'))).toEqual({
      'client-certificate': fixture('pki', 'client.crt'),
      'client-key': fixture('pki', 'client.key'),
    });
    expect(body(merged.users.get('rel-token-user')).tokenFile).toBe(
      fixture('relative', 'sub', 'token.txt'),
    );
  });

  it('resolves an exec command only when it holds a path separator', async () => {
    const merged = await load({ explicitPath: config });
    const exec = (name: string) => body(merged.users.get(name)).exec as Record<string, unknown>;
    expect(exec('rel-exec-user').command).toBe(fixture('relative', 'bin', 'plugin.sh'));
    expect(exec('path-exec-user').command).toBe('fake-plugin-on-path');
  });

  it('resolves a relative KUBECONFIG entry against the working folder first', async () => {
    const relative = path.relative(process.cwd(), config);
    const merged = await load({ env: { KUBECONFIG: relative } });
    expect(merged.files).toEqual([relative]);
    expect(body(merged.clusters.get('rel-cluster'))['certificate-authority']).toBe(
      fixture('pki', 'ca.crt'),
    );
  });

  it('leaves absolute paths alone', async () => {
    const dir = writeFiles(tempDir(), {
      'k.yaml': kubeconfigYaml({ clusters: { c: { 'certificate-authority': '/abs/ca.crt' } } }),
    });
    const merged = await load({ explicitPath: path.join(dir, 'k.yaml') });
    expect(body(merged.clusters.get('c'))['certificate-authority']).toBe('/abs/ca.crt');
  });
});

describe('broken files', () => {
  it('names the file, line and column of a YAML syntax error', async () => {
    const file = fixture('malformed.yaml');
    await expectError(
      load({ explicitPath: file }),
      UserError,
      `failed to parse kubeconfig "${file}": line 5, column 1: the indentation is wrong, ` +
        'or a [ or { is not closed',
    );
  });

  it('refuses an alias bomb, as kubectl does, before it expands', async () => {
    const file = fixture('alias-bomb.yaml');
    await expectError(
      load({ explicitPath: file }),
      UserError,
      `failed to parse kubeconfig "${file}": the document contains excessive aliasing`,
    );
  });

  it('names the line of an alias without an anchor, not the alias', async () => {
    const file = fixture('unresolved-alias.yaml');
    await expectError(
      load({ explicitPath: file }),
      UserError,
      `failed to parse kubeconfig "${file}": line 7, column 12: ` +
        'an alias (*name) comes before its anchor (&name), or has none',
    );
  });

  // Each case hides "fake-secret" where the parser's own message would quote it.
  it.each([
    [
      'an alias before its anchor',
      'users:\n- name: u\n  user:\n    token: *fake-secret\nx: &fake-secret 1\n',
      'line 4, column 12: an alias (*name) comes before its anchor (&name), or has none',
    ],
    [
      'an alias inside its own anchor',
      'clusters:\n- name: c\n  cluster: &fake-secret\n    extensions: [*fake-secret]\n',
      'line 4, column 18: an alias (*name) stands inside the value of its own anchor (&name)',
    ],
    [
      'a bad escape',
      'users:\n- name: u\n  user:\n    token: "fake\\qsecret"\n',
      'line 4, column 17: a double-quoted string holds an invalid escape sequence',
    ],
    [
      'a reserved first character',
      'users:\n- name: u\n  user:\n    token: `fake-secret`\n',
      'line 4, column 12: a plain value starts with a character YAML reserves (quote the value)',
    ],
    [
      'a bad block scalar header',
      'users:\n- name: u\n  user:\n    token: |fake-secret\n      x\n',
      'line 4, column 13: something stands where YAML does not allow it',
    ],
  ])('describes %s without quoting the file', async (_, text, why) => {
    const dir = writeFiles(tempDir(), { 'k.yaml': text });
    const err = await caught(load({ explicitPath: path.join(dir, 'k.yaml') }));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`failed to parse kubeconfig "${dir}/k.yaml": ${why}`);
    expect(err.message).not.toMatch(/fake.?secret/);
  });

  it('refuses a file that is not a mapping', async () => {
    const file = fixture('not-a-mapping.yaml');
    await expectError(
      load({ explicitPath: file }),
      UserError,
      `invalid kubeconfig "${file}": the file must hold a mapping, not a list`,
    );
  });

  it('refuses a kind or apiVersion other than Config and v1', async () => {
    const file = fixture('wrong-kind.yaml');
    await expectError(
      load({ explicitPath: file }),
      UserError,
      `invalid kubeconfig "${file}": kind is "Pod", expected "Config"`,
    );
    const dir = writeFiles(tempDir(), { 'v2.yaml': 'apiVersion: v2\n' });
    await expectError(
      load({ explicitPath: path.join(dir, 'v2.yaml') }),
      UserError,
      `invalid kubeconfig "${dir}/v2.yaml": apiVersion is "v2", expected "v1"`,
    );
  });

  it('refuses a top-level list or current-context of the wrong type', async () => {
    const dir = writeFiles(tempDir(), {
      'lists.yaml': 'clusters: {}\n',
      'current.yaml': 'current-context: [a]\n',
    });
    await expectError(
      load({ explicitPath: path.join(dir, 'lists.yaml') }),
      UserError,
      `invalid kubeconfig "${dir}/lists.yaml": clusters must be a list, not a mapping`,
    );
    await expectError(
      load({ explicitPath: path.join(dir, 'current.yaml') }),
      UserError,
      `invalid kubeconfig "${dir}/current.yaml": current-context must be a string, not a list`,
    );
  });

  it('reports every broken file of the list at once', async () => {
    const bad = [fixture('wrong-kind.yaml'), fixture('not-a-mapping.yaml')];
    await expectError(
      load({ env: { KUBECONFIG: [...bad, FIRST].join(':') } }),
      UserError,
      [
        `invalid kubeconfig "${bad[0]}": kind is "Pod", expected "Config"`,
        `invalid kubeconfig "${bad[1]}": the file must hold a mapping, not a list`,
      ].join('\n'),
    );
  });

  it('fails on a listed path that exists but cannot be read', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'folder'));
    await expectError(
      load({ env: { KUBECONFIG: path.join(dir, 'folder') } }),
      UserError,
      `failed to read kubeconfig "${dir}/folder": is a directory, not a file`,
    );
  });

  it('accepts broken entries that nothing uses, and says which were ignored', async () => {
    const file = fixture('broken-unused.yaml');
    const { log, lines } = recordingLog(1);
    const merged = await loadKubeconfig({ log, explicitPath: file, env: {} });
    expect([...merged.clusters.keys()]).toEqual(['good-cluster', 'broken-cluster']);
    expect(lines()[0]).toBe(`kubeconfig: ignoring clusters[2] in "${file}": it has no name`);
  });

  it('marks a name listed twice in one file, to refuse it only when used', async () => {
    const merged = await load({ explicitPath: fixture('duplicate-name.yaml') });
    expect(merged.clusters.get('twice')).toMatchObject({
      path: 'clusters[0]',
      duplicatePath: 'clusters[1]',
    });
    expect(merged.clusters.get('once')?.duplicatePath).toBeUndefined();
  });

  it('treats an empty file as an empty kubeconfig', async () => {
    const merged = await load({ explicitPath: fixture('empty.yaml') });
    expect(merged.files).toEqual([fixture('empty.yaml')]);
    expect(merged.clusters.size + merged.users.size + merged.contexts.size).toBe(0);
  });

  it('reads YAML 1.1 booleans as Go does, but keeps dates as text', async () => {
    const dir = writeFiles(tempDir(), {
      'k.yaml':
        'clusters:\n- name: c\n  cluster:\n    insecure-skip-tls-verify: yes\n' +
        '    server: 2024-01-02\n',
    });
    const merged = await load({ explicitPath: path.join(dir, 'k.yaml') });
    expect(body(merged.clusters.get('c'))).toEqual({
      'insecure-skip-tls-verify': true,
      server: '2024-01-02',
    });
  });
});
