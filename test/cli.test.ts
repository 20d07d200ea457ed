import { describe, expect, it } from 'vitest';

import { parseCommandLine } from '../src/cli.js';
import { UsageError } from '../src/errors.js';

function create(argv: string[]) {
  const inv = parseCommandLine(argv);
  if (inv.command !== 'create') throw new Error(`expected create, got ${inv.command}`);
  return inv;
}

describe('parseCommandLine', () => {
  it('makes create the default command', () => {
    expect(create(['jenkins']).flags.name).toBe('jenkins');
    expect(create(['create', 'jenkins']).flags.name).toBe('jenkins');
  });

  it('reads flags the way pflag does', () => {
    const inv = create([
      '-nautomation',
      'jenkins',
      '--clusterrole',
      'edit',
      '--clusterrole=view',
      '--context',
      'a',
      '--context=b',
      '--as-group',
      'g1',
      '--as-group=g2',
      '-v',
      '6',
    ]);
    expect(inv.flags.connection.namespace).toBe('automation');
    expect(inv.flags.clusterRoles).toEqual(['edit', 'view']);
    expect(inv.flags.connection.context).toBe('b');
    expect(inv.flags.connection.asGroups).toEqual(['g1', 'g2']);
    expect(inv.verbosity).toBe(6);
  });

  it('takes every kubectl global flag', () => {
    const inv = create([
      'ci',
      '--kubeconfig=/k',
      '--cluster=c',
      '--user=u',
      '-s',
      'https://x',
      '--token=t',
      '--certificate-authority=/ca',
      '--client-certificate=/c',
      '--client-key=/k2',
      '--insecure-skip-tls-verify',
      '--tls-server-name=n',
      '--as=someone',
      '--as-uid=1',
      '--request-timeout=5s',
      '--v=2',
    ]);
    expect(inv.flags.connection).toMatchObject({
      kubeconfig: '/k',
      cluster: 'c',
      user: 'u',
      server: 'https://x',
      token: 't',
      certificateAuthority: '/ca',
      clientCertificate: '/c',
      clientKey: '/k2',
      insecureSkipTlsVerify: true,
      tlsServerName: 'n',
      as: 'someone',
      asUid: '1',
      requestTimeout: '5s',
    });
    expect(inv.verbosity).toBe(2);
  });

  it('does not let a list flag swallow the name', () => {
    expect(create(['--clusterrole', 'edit', 'jenkins']).flags).toMatchObject({
      name: 'jenkins',
      clusterRoles: ['edit'],
    });
  });

  const failures: [string[], string][] = [
    [[], 'NAME is required'],
    [['jenkins', '--bogus'], 'unknown flag or extra argument: bogus'],
    [['--bogus'], 'unknown flag or extra argument: bogus'],
    [['-nfoo', '-v6'], 'NAME is required'],
    [['jenkins', 'extra'], 'unknown flag or extra argument: extra'],
    [['jenkins', '-v', 'x'], 'invalid -v'],
  ];
  for (const [argv, message] of failures) {
    it(`rejects ${JSON.stringify(argv)}`, () => {
      expect(() => parseCommandLine(argv)).toThrow(UsageError);
      expect(() => parseCommandLine(argv)).toThrow(message);
    });
  }

  it('prints help with the kubectl program name', () => {
    const inv = parseCommandLine(['--help']);
    expect(inv.command).toBe('print');
    if (inv.command !== 'print') return;
    expect(inv.text).toContain('kubectl sa-kubeconfig');
    expect(inv.text).toContain('Kubectl flags:');
    expect(inv.text).toContain('--clusterrole');
  });
});
