import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { buildKubeconfig, defaultNames } from '../../src/kubeconfig/build.js';
import { renderKubeconfig } from '../../src/kubeconfig/write.js';

const cluster = {
  name: 'prod',
  server: 'https://api.prod.example',
  certificateAuthorityPem: 'FAKE PEM\n',
  insecureSkipTlsVerify: false,
  disableCompression: false,
};

describe('buildKubeconfig', () => {
  it('holds one cluster, user and context, the CA inlined', () => {
    const names = defaultNames('ci', 'apps', 'prod');
    const config = buildKubeconfig({ cluster, token: 'fake-token', namespace: 'apps', names });
    expect(config).toEqual({
      apiVersion: 'v1',
      clusters: [
        {
          name: 'sa-kubeconfig@prod',
          cluster: {
            'certificate-authority-data': Buffer.from('FAKE PEM\n').toString('base64'),
            server: 'https://api.prod.example',
          },
        },
      ],
      contexts: [
        {
          name: 'apps/ci@prod',
          context: { cluster: 'sa-kubeconfig@prod', user: 'apps/ci@prod', namespace: 'apps' },
        },
      ],
      'current-context': 'apps/ci@prod',
      kind: 'Config',
      preferences: {},
      users: [{ name: 'apps/ci@prod', user: { token: 'fake-token' } }],
    });
  });

  it('keeps insecure, proxy and server name only when the source has them', () => {
    const c = {
      ...cluster,
      certificateAuthorityPem: undefined,
      insecureSkipTlsVerify: true,
      proxyUrl: 'socks5://p:1080',
      tlsServerName: 'n',
    };
    const config = buildKubeconfig({
      cluster: c,
      token: 't',
      namespace: 'x',
      names: defaultNames('a', 'x', 'p'),
    });
    expect(config.clusters[0].cluster).toEqual({
      'insecure-skip-tls-verify': true,
      'proxy-url': 'socks5://p:1080',
      server: 'https://api.prod.example',
      'tls-server-name': 'n',
    });
  });
});

describe('renderKubeconfig', () => {
  it('round-trips long values in yaml and json, ending in a newline', () => {
    const long = 'x'.repeat(5000);
    const config = buildKubeconfig({
      cluster,
      token: long,
      namespace: 'n',
      names: defaultNames('a', 'n', 'c'),
    });
    for (const format of ['yaml', 'json'] as const) {
      const text = renderKubeconfig(config, format);
      expect(text.endsWith('\n')).toBe(true);
      expect(parse(text).users[0].user.token).toBe(long);
    }
  });
});

describe('entry names', () => {
  it('stands for a kubeconfig-less cluster by its server host', async () => {
    const { clusterLabel } = await import('../../src/kubeconfig/build.js');
    expect(clusterLabel({ ...cluster, name: '' })).toBe('api.prod.example');
    expect(clusterLabel(cluster)).toBe('prod');
  });

  it('refuses empty names and control characters', async () => {
    const { checkEntryName } = await import('../../src/kubeconfig/build.js');
    expect(() => checkEntryName('--context-name', '')).toThrow(
      '--context-name must be a non-empty name without control characters',
    );
    expect(() => checkEntryName('--cluster-name', 'a\nb')).toThrow('without control characters');
    expect(() => checkEntryName('--user-name', 'ci@prod')).not.toThrow();
  });
});
