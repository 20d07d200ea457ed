/**
 * Typed reads of kubeconfig fields that were parsed but not yet checked.
 *
 * kubectl rejects a whole file when any field has the wrong type; we check a
 * stanza only when the chosen context uses it (see load.ts), and name the
 * field by its path in the file, e.g. `clusters[1].cluster.server`.
 */
import { UserError } from '../errors.js';

/** True for a YAML mapping (a plain object once parsed). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}

/** "a list", "a number"...: the YAML type of a parsed value, for messages. */
export function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (Buffer.isBuffer(value)) return 'binary data';
  if (isMapping(value)) return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

/** The error for a field of the wrong type, naming the file and the field path. */
export function wrongType(file: string, path: string, value: unknown, want: string): UserError {
  return invalidField(file, path, `must be ${want}, not ${typeName(value)}`);
}

/** "invalid kubeconfig "<file>": <path> <problem>". */
export function invalidField(file: string, path: string, problem: string): UserError {
  return new UserError(`invalid kubeconfig ${quote(file)}: ${path} ${problem}`);
}

/** Characters kept as they are: visible ones and the plain space. */
const VISIBLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/gu;

/** The same, plus tabs and line breaks, for text that is meant to span lines. */
const VISIBLE_OR_LINE_BREAK = /[^\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}\t\n\v\f\r]/gu;

/**
 * Text from a kubeconfig or a plugin, made safe to print: a file someone
 * else wrote may hide ESC or other control characters in a name, which
 * would restyle or rewrite the terminal, or a line break that fakes a
 * second line of output. Like client-go for an installHint, every control
 * or invisible character shows as U+XXXX. `keepLineBreaks` keeps tabs and
 * line breaks, for text meant to span lines (an installHint).
 */
export function printable(text: string, keepLineBreaks = false): string {
  return text.replace(
    keepLineBreaks ? VISIBLE_OR_LINE_BREAK : VISIBLE,
    (ch) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/**
 * A name, path or other value for a message, quoted and printable: every
 * name that goes into an error or log line passes through here.
 */
export function quote(text: string): string {
  return `"${printable(text)}"`;
}

/**
 * One mapping of a kubeconfig file and where it sits, with getters that
 * check types. YAML null and an empty string both read as "not set", as
 * they do in client-go, where an empty string field is never used.
 */
export class Fields {
  private constructor(
    readonly file: string,
    readonly path: string,
    private readonly data: Record<string, unknown>,
  ) {}

  /** Reads `value` (found at `path` in `file`) as a mapping; null is empty. */
  static of(file: string, path: string, value: unknown): Fields {
    if (value === null || value === undefined) return new Fields(file, path, {});
    if (!isMapping(value)) throw wrongType(file, path, value, 'a mapping');
    return new Fields(file, path, value);
  }

  /** The path of `key` inside this mapping. */
  at(key: string): string {
    return `${this.path}.${key}`;
  }

  /** True when `key` is present with a non-null value. */
  has(key: string): boolean {
    return this.data[key] !== null && this.data[key] !== undefined;
  }

  /** The value as parsed, unchecked (exec plugin extensions are free-form). */
  raw(key: string): unknown {
    return this.data[key] ?? undefined;
  }

  /** A string field; unset or empty is undefined. */
  string(key: string): string | undefined {
    const value = this.data[key];
    if (value === null || value === undefined) return undefined;
    if (typeof value !== 'string') throw wrongType(this.file, this.at(key), value, 'a string');
    return value === '' ? undefined : value;
  }

  /** A YAML boolean field; unset is false. */
  bool(key: string): boolean {
    const value = this.data[key];
    if (value === null || value === undefined) return false;
    if (typeof value !== 'boolean') {
      throw wrongType(this.file, this.at(key), value, 'true or false');
    }
    return value;
  }

  /** A list of strings; unset is empty. */
  strings(key: string): string[] {
    return this.list(key).map((item, i) => {
      if (typeof item === 'string') return item;
      throw wrongType(this.file, `${this.at(key)}[${i}]`, item, 'a string');
    });
  }

  /** A list of mappings (exec env, extensions); unset is empty. */
  mappings(key: string): Fields[] {
    return this.list(key).map((item, i) => Fields.of(this.file, `${this.at(key)}[${i}]`, item));
  }

  /** A nested mapping, or undefined when unset. */
  child(key: string): Fields | undefined {
    if (!this.has(key)) return undefined;
    return Fields.of(this.file, this.at(key), this.data[key]);
  }

  /** A mapping of string lists (as-user-extra); unset is empty. */
  stringLists(key: string): Record<string, string[]> {
    const child = this.child(key);
    if (!child) return {};
    const out: Record<string, string[]> = {};
    for (const name of Object.keys(child.data)) out[name] = child.strings(name);
    return out;
  }

  /** A base64 field (…-data) decoded to text; unset is undefined. */
  base64(key: string): string | undefined {
    const text = this.string(key);
    if (text === undefined) return undefined;
    // Go's decoder skips line breaks but nothing else; Buffer.from would
    // silently drop any other stray character, so check first.
    const compact = text.replace(/[\r\n]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw invalidField(this.file, this.at(key), 'is not valid base64');
    }
    return Buffer.from(compact, 'base64').toString('utf8');
  }

  private list(key: string): unknown[] {
    const value = this.data[key];
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) throw wrongType(this.file, this.at(key), value, 'a list');
    return value;
  }
}
