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

  it('takes the next word as the value, even when it starts with "-"', () => {
    expect(create(['ci', '--duration', '-1h']).flags.duration).toBe('-1h');
    expect(create(['ci', '--context', '-h']).flags.connection.context).toBe('-h');
    expect(create(['ci', '--dry-run']).flags.dryRun).toBe('client');
    expect(create(['ci', '-n=team']).flags.connection.namespace).toBe('team');
  });

  it("reads booleans with pflag's ParseBool values", () => {
    expect(create(['ci', '--revocable=True']).flags.revocable).toBe(true);
    expect(create(['ci', '--verify=0']).flags.verify).toBe(false);
    expect(
      create(['ci', '--insecure-skip-tls-verify=F']).flags.connection.insecureSkipTlsVerify,
    ).toBe(false);
  });

  it('does not let a list flag swallow the name', () => {
    expect(create(['--clusterrole', 'edit', 'jenkins']).flags).toMatchObject({
      name: 'jenkins',
      clusterRoles: ['edit'],
    });
  });

  const failures: [string[], string][] = [
    [[], 'NAME is required'],
    [['jenkins', '--bogus'], 'unknown flag or extra argument: --bogus'],
    [['--bogus'], 'unknown flag: --bogus'],
    [['-nfoo', '-v6'], 'NAME is required'],
    [['jenkins', 'extra'], 'unknown flag or extra argument: extra'],
    [['jenkins', '-v', 'x'], 'invalid argument "x" for -v: it takes a whole number such as 6'],
    [['jenkins', '-v'], 'flag needs an argument: -v'],
    [['jenkins', '--revocable=yes'], 'invalid argument "yes" for --revocable: use true or false'],
    [['jenkins', '--no-verify'], 'unknown flag or extra argument: --no-verify'],
    [['jenkins', '--outputFile', 'f'], 'unknown flag or extra argument: --outputFile'],
    [['jenkins', '--', '-n'], 'unknown flag or extra argument: -n'],
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
