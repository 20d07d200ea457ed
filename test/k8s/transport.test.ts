import { describe, expect, it } from 'vitest';

import { createTransport } from '../../src/k8s/transport.js';
import { Logger } from '../../src/log.js';

const cluster = {
  name: 'c',
  server: 'https://127.0.0.1:6443',
  insecureSkipTlsVerify: true,
  disableCompression: false,
};

describe('createTransport', () => {
  it('registers the Basic header value as a secret', () => {
    const log = new Logger(0, { write: () => true });
    const t = createTransport({
      cluster,
      credentials: { username: 'bob', password: 'S3cretPassw0rd' },
      requestTimeoutMs: 0,
      env: {},
      log,
    });
    t.close();
    const header = Buffer.from('bob:S3cretPassw0rd').toString('base64');
    expect(log.redact(`you sent Basic ${header}`)).toBe('you sent Basic <redacted>');
  });
});

describe('retries', () => {
  it('waits and sends again when the server answers 429 with Retry-After', async () => {
    const { createServer } = await import('node:http');
    const { createClients } = await import('../../src/k8s/client.js');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (seen.length === 1) {
        res.writeHead(429, { 'Retry-After': '0', 'Content-Type': 'application/json' });
        res.end('{"kind":"Status","code":429}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"major":"1","minor":"37","gitVersion":"v1.37.2"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const log = new Logger(0, { write: () => true });
    const server_ = `http://127.0.0.1:${port}`;
    const transport = createTransport({
      cluster: { ...cluster, server: server_ },
      credentials: { token: 'fake-token-for-retry' },
      requestTimeoutMs: 5000,
      env: {},
      log,
    });
    try {
      const info = await createClients(server_, transport).version.getCode();
      expect(info.gitVersion).toBe('v1.37.2');
      expect(seen).toEqual(['GET /version', 'GET /version']);
    } finally {
      transport.close();
      server.close();
    }
  });

  it('retries only what the server said may be retried', async () => {
    const { retryAfter } = await import('../../src/k8s/transport.js');
    expect(retryAfter(429, '2')).toBe(2);
    expect(retryAfter(503, '120')).toBe(10);
    expect(retryAfter(429, null)).toBeUndefined();
    expect(retryAfter(404, '1')).toBeUndefined();
    expect(retryAfter(500, 'Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
  });
});
