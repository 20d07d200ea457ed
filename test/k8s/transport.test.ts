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
