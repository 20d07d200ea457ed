import { describe, expect, it } from 'vitest';

import {
  formatSeconds,
  secondsUntil,
  shortfallWarning,
  tokenSeconds,
} from '../../src/k8s/token.js';

describe('tokenSeconds', () => {
  it('accepts the bounds', () => {
    expect(tokenSeconds(600_000, '10m')).toBe(600);
    expect(tokenSeconds((2 ** 32 - 1) * 1000, 'max')).toBe(2 ** 32 - 1);
  });

  it('rejects below 10m, fractions and 2^32', () => {
    expect(() => tokenSeconds(599_000, '599s')).toThrow('--duration 599s is too short');
    expect(() => tokenSeconds(600_500, '600.5s')).toThrow('whole number of seconds');
    expect(() => tokenSeconds(2 ** 32 * 1000, 'big')).toThrow('below 2^32 seconds');
  });
});

describe('shortfallWarning', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => ({ token: 't', expiresAt: new Date(now.getTime() + s * 1000) });

  it('is silent when the server gave what was asked, or nothing was asked', () => {
    expect(
      shortfallWarning({ durationSeconds: 3600, audiences: [] }, at(3590), now),
    ).toBeUndefined();
    expect(shortfallWarning({ audiences: [] }, at(60), now)).toBeUndefined();
  });

  it('names both lifetimes when capped', () => {
    expect(shortfallWarning({ durationSeconds: 86400, audiences: [] }, at(7200), now)).toBe(
      'the server granted a token for 2h, shorter than the 24h asked for: it caps token' +
        ' lifetimes (rotate the kubeconfig before it expires)',
    );
  });
});

describe('formatSeconds', () => {
  it('prints Go-style units', () => {
    expect(formatSeconds(5400)).toBe('1h30m');
    expect(formatSeconds(45)).toBe('45s');
    expect(formatSeconds(0)).toBe('0s');
  });
});

describe('secondsUntil', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('rounds to minutes past ten minutes, to seconds below', () => {
    expect(secondsUntil(new Date(now.getTime() + 7199_000), now)).toBe(7200);
    expect(secondsUntil(new Date(now.getTime() + 599_400), now)).toBe(599);
    expect(secondsUntil(new Date(now.getTime() - 5_000), now)).toBe(0);
  });
});
