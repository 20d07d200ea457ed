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
