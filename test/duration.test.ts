import { describe, expect, it } from 'vitest';

import { parseGoDuration } from '../src/duration.js';
import { UsageError } from '../src/errors.js';

const HINT = '(use Go syntax such as 300ms, 90s, 1.5h or 1h30m)';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['0s', 0],
    ['300ms', 300],
    ['5s', 5_000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['5.s', 5_000],
    ['2h45m30.5s', 9_930_500],
    ['1m1m', 120_000],
    ['1500us', 1.5],
    ['1500\u00b5s', 1.5],
    ['1500\u03bcs', 1.5],
    ['2000000ns', 2],
    ['-2m', -120_000],
    ['+90s', 90_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each([
    ['', 'no number'],
    ['-', 'no number'],
    ['5', 'missing unit after "5"'],
    ['1h30', 'missing unit after "30"'],
    ['1d', 'unknown unit "d"'],
    ['5 s', 'unknown unit " s"'],
    ['1h 30m', 'unknown unit "h "'],
    ['5S', 'unknown unit "S"'],
    ['s', 'expected a number at "s"'],
    ['.s', 'expected a number at ".s"'],
    ['1..5s', 'expected a number at "1..5s"'],
    [' 5s', 'expected a number at " 5s"'],
    ['--5s', 'expected a number at "-5s"'],
    ['2562048h', 'too long'],
  ])('refuses %j: %s', (text, why) => {
    const run = () => parseGoDuration(text);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(new UsageError(`invalid duration "${text}": ${why} ${HINT}`));
  });

  it('accepts the longest duration Go can hold', () => {
    expect(parseGoDuration('2562047h')).toBe(2562047 * 3_600_000);
  });
});
