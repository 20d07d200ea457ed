import { describe, expect, it } from 'vitest';

import { redactBody } from '../../src/k8s/redact.js';

describe('redactBody', () => {
  it('hides tokens and secret data at any depth', () => {
    const body = JSON.stringify({
      status: { token: 'abc', expirationTimestamp: 'x' },
      data: { t: 'y' },
    });
    expect(redactBody(body)).toBe(
      '{"status":{"token":"<redacted>","expirationTimestamp":"x"},"data":"<redacted>"}',
    );
  });

  it('shows no text that is not JSON', () => {
    expect(redactBody('token=abc')).toBe('<9 bytes, not JSON: not shown>');
  });
});

describe('Logger secrets', () => {
  it('hides a secret also in its JSON-escaped form', async () => {
    const { Logger } = await import('../../src/log.js');
    const lines: string[] = [];
    const log = new Logger(8, { write: (t: string) => lines.push(t) });
    log.addSecret('tok"with\\quote');
    log.v(8, JSON.stringify({ message: 'you sent Bearer tok"with\\quote' }));
    expect(lines.join('')).toBe('{"message":"you sent Bearer <redacted>"}\n');
  });
});
