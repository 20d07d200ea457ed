/**
 * Go's duration syntax (time.ParseDuration), which kubectl uses for
 * --request-timeout and `kubectl create token --duration`: a sign, then one
 * or more decimal numbers each followed by a unit, with no spaces ("300ms",
 * "1h30m", "1.5h", "-2m"). A bare "0" is the only number allowed without a
 * unit. There is no day unit.
 */
import { UsageError } from './errors.js';

/** Milliseconds per Go duration unit; both spellings of micro are Go's. */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  '\u00b5s': 1e-3, // micro sign
  '\u03bcs': 1e-3, // Greek small letter mu
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** A number ("5", "1.5", ".5", "5.") followed by a run of letters that must be a unit. */
const PART = /(\d+(?:\.\d*)?|\.\d+)([^\d.]+)/y;

/** Go's limit: a duration is an int64 count of nanoseconds (about 292 years). */
const MAX_MS = 9_223_372_036_854.775;

/**
 * Parses a Go duration into milliseconds (fractional below 1 ms).
 * Throws a UsageError naming `text` and showing valid examples.
 */
export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid(text, 'no number');

  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < rest.length) {
    const start = PART.lastIndex;
    const match = PART.exec(rest);
    if (!match) throw invalid(text, describeGap(rest.slice(start)));
    const unitMs = UNIT_MS[match[2]];
    if (unitMs === undefined) throw invalid(text, `unknown unit "${match[2]}"`);
    total += Number(match[1]) * unitMs;
  }
  if (total > MAX_MS) throw invalid(text, 'too long');
  return sign * total;
}

/** Why the text at `rest` is not a number followed by a unit. */
function describeGap(rest: string): string {
  if (/^(\d+(\.\d*)?|\.\d+)$/.test(rest)) return `missing unit after "${rest}"`;
  return `expected a number at "${rest}"`;
}

function invalid(text: string, why: string): UsageError {
  return new UsageError(
    `invalid duration "${text}": ${why} (use Go syntax such as 300ms, 90s, 1.5h or 1h30m)`,
  );
}
