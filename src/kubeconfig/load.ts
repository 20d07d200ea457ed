/**
 * Finding, reading and merging kubeconfig files, with kubectl's rules
 * (client-go tools/clientcmd, loader.go):
 *
 * - `--kubeconfig FILE` names the only file read. It must exist, and
 *   nothing is merged with it.
 * - Otherwise, a non-empty KUBECONFIG is a list of files separated by ":"
 *   (";" on Windows). Empty entries are dropped, a path listed twice is
 *   read once, and a listed file that does not exist is skipped (said at
 *   -v 1), so a list of only missing files means no kubeconfig. So does a
 *   list with no entry at all, such as ":": client-go then reads no file,
 *   not ~/.kube/config.
 * - Otherwise the file is ~/.kube/config, home being HOME. On Windows home
 *   is the first of HOME, HOMEDRIVE+HOMEPATH and USERPROFILE that holds a
 *   .kube\config.
 * - Clusters, users and contexts are keyed by name, and the first file that
 *   defines a name wins with its whole stanza: a later file's stanza of the
 *   same name is dropped, even the fields the first one lacks.
 * - current-context comes from the first file that sets a non-empty one.
 * - Relative paths in a stanza (certificate-authority, client-certificate,
 *   client-key, tokenFile, and an exec command holding a path separator)
 *   are made absolute against the folder of the file that defined it,
 *   before merging, so a path means the same whichever file wins.
 * - A file that exists but cannot be read or parsed is an error, and so is
 *   a top-level field of the wrong type. Stanzas are checked only when
 *   resolve.ts uses them: a broken entry that the chosen context does not
 *   use cannot stop the run (kubectl would refuse the whole file).
 *
 * Finding no file is not an error here: kubectl works from --server alone,
 * so resolveConfig decides, and its error lists `searched`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import {
  type Document,
  type ErrorCode,
  LineCounter,
  type Tags,
  isAlias,
  parseDocument,
  visit,
} from 'yaml';

import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { isMapping, quote, typeName } from './fields.js';
import { fsCause, isNotExist } from './files.js';

/** The environment variable that lists kubeconfig files. */
export const KUBECONFIG_ENV = 'KUBECONFIG';

/** Where a kubeconfig is kept under the home folder. */
export const HOME_KUBECONFIG = ['.kube', 'config'] as const;

/** One named cluster, user or context as its defining file wrote it. */
export interface Stanza {
  name: string;
  /** The file that defined it first (the one that won). */
  file: string;
  /** Its place in that file, for error messages: `clusters[1]`. */
  path: string;
  /** The value under `cluster`, `user` or `context`, relative paths resolved; unchecked. */
  body: unknown;
  /** Set when that file lists the name again there: kubectl refuses such a file. */
  duplicatePath?: string;
}

/** How the list of files was chosen. */
export type KubeconfigSource = 'flag' | 'env' | 'home';

/** Every kubeconfig file merged with kubectl's rules, stanzas not yet checked. */
export interface MergedKubeconfig {
  source: KubeconfigSource;
  /** Every path considered, in order, for the "no kubeconfig" error. */
  searched: string[];
  /** The files that were read, in precedence order; empty when none exists. */
  files: string[];
  /** The first non-empty current-context and the file that set it. */
  currentContext?: { name: string; file: string };
  clusters: Map<string, Stanza>;
  users: Map<string, Stanza>;
  contexts: Map<string, Stanza>;
}

/** What loadKubeconfig needs from the process. */
export interface LoadOptions {
  /** --kubeconfig. */
  explicitPath?: string;
  env: NodeJS.ProcessEnv;
  /** Decides the list separator, the home variables and path rules; default: this one. */
  platform?: NodeJS.Platform;
  log: Logger;
}

/** The three lists of a kubeconfig, with the key that holds each entry's body. */
const LISTS = [
  { list: 'clusters', body: 'cluster', files: ['certificate-authority'] },
  { list: 'users', body: 'user', files: ['client-certificate', 'client-key', 'tokenFile'] },
  { list: 'contexts', body: 'context', files: [] },
] as const;

type ListName = (typeof LISTS)[number]['list'];

/** One file's contribution before merging. */
interface ParsedFile {
  file: string;
  currentContext?: string;
  stanzas: Record<ListName, Stanza[]>;
}

/** Reads and merges the kubeconfig files kubectl would use (rules above). */
export async function loadKubeconfig(opts: LoadOptions): Promise<MergedKubeconfig> {
  const platform = opts.platform ?? process.platform;
  const { source, searched } = searchPath(opts.explicitPath, opts.env, platform);

  const parsed: ParsedFile[] = [];
  const errors: UserError[] = [];
  for (const file of searched) {
    const text = await readKubeconfig(file, source, opts.log);
    if (text === undefined) continue;
    try {
      parsed.push(parseKubeconfig(file, text, platform, opts.log));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      errors.push(err);
    }
    // Windows tries several homes; only the first one holding a file counts.
    if (source === 'home') break;
  }
  // Like client-go, report every broken file at once, not just the first.
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new UserError(errors.map((e) => e.message).join('\n'), { cause: errors[0] });
  }

  const merged = mergeKubeconfigs(source, searched, parsed);
  opts.log.v(1, `kubeconfig: ${describeRead(merged)}`);
  return merged;
}

/** What was read, for -v 1. */
function describeRead(merged: MergedKubeconfig): string {
  if (merged.files.length > 0) return `read ${merged.files.map((f) => quote(f)).join(', ')}`;
  if (merged.searched.length === 0) {
    return merged.source === 'env' ? `${KUBECONFIG_ENV} names no file` : 'no file to read';
  }
  return `none of ${merged.searched.map((f) => quote(f)).join(', ')} exists`;
}

/** The files to try, in order, and why those. */
function searchPath(
  explicitPath: string | undefined,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): { source: KubeconfigSource; searched: string[] } {
  if (explicitPath) return { source: 'flag', searched: [explicitPath] };
  const list = env[KUBECONFIG_ENV];
  if (list) {
    const separator = platform === 'win32' ? ';' : ':';
    const entries = list.split(separator).filter((entry) => entry !== '');
    return { source: 'env', searched: [...new Set(entries)] };
  }
  const paths = pathsFor(platform);
  return {
    source: 'home',
    searched: homeFolders(env, platform).map((home) => paths.join(home, ...HOME_KUBECONFIG)),
  };
}

/** Candidate home folders, in client-go's order (util/homedir). */
function homeFolders(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  // Unlike client-go, an unset HOME does not fall back to ./.kube/config
  // in the working folder: reading a kubeconfig (which may run commands)
  // from wherever the user happens to stand would be a surprise.
  if (platform !== 'win32') return env.HOME ? [env.HOME] : [];
  const drivePath = env.HOMEDRIVE && env.HOMEPATH ? env.HOMEDRIVE + env.HOMEPATH : '';
  const homes = [env.HOME ?? '', drivePath, env.USERPROFILE ?? ''].filter((h) => h !== '');
  return [...new Set(homes)];
}

/** The file's text, or undefined when a listed file is missing (skipped). */
async function readKubeconfig(
  file: string,
  source: KubeconfigSource,
  log: Logger,
): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (source === 'flag') {
      throw new UserError(`failed to read --kubeconfig ${quote(file)}: ${fsCause(err)}`, {
        cause: err,
      });
    }
    if (isNotExist(err)) {
      log.v(1, `kubeconfig: skipping ${quote(file)}: no such file`);
      return undefined;
    }
    throw new UserError(`failed to read kubeconfig ${quote(file)}: ${fsCause(err)}`, {
      cause: err,
    });
  }
}

/** YAML 1.1 like Go's parser (yes/no/on/off are booleans), minus what Go keeps as text. */
function goLikeTags(tags: Tags): Tags {
  return tags.filter((tag) => {
    if (typeof tag !== 'object') return true;
    return !tag.tag.endsWith(':timestamp') && tag.format !== 'TIME';
  });
}

/**
 * Every YAML parse error, in our words: the parser's own messages quote the
 * text at fault (an escape sequence, an alias name), which may be a secret,
 * so only the line and column point at it. Keyed by the parser's codes, so
 * a code added by a new version of the parser fails the type check.
 */
const YAML_PROBLEMS: Record<ErrorCode, string> = {
  ALIAS_PROPS: 'an alias (*name) cannot have a tag or an anchor',
  BAD_ALIAS: 'an anchor (&name) or alias (*name) has an empty or ambiguous name',
  BAD_COLLECTION_TYPE: 'a tag does not fit the kind of value it is on',
  BAD_DIRECTIVE: 'a % directive is not valid',
  BAD_DQ_ESCAPE: 'a double-quoted string holds an invalid escape sequence',
  BAD_INDENT: 'the indentation is wrong, or a [ or { is not closed',
  BAD_PROP_ORDER: 'an anchor or tag is in the wrong place',
  BAD_SCALAR_START: 'a plain value starts with a character YAML reserves (quote the value)',
  BLOCK_AS_IMPLICIT_KEY: 'a nested mapping or list stands where a key is expected',
  BLOCK_IN_FLOW: 'an indented block stands inside a [...] or {...} collection',
  DUPLICATE_KEY: 'a mapping holds the same key twice',
  IMPOSSIBLE: 'the YAML is malformed',
  KEY_OVER_1024_CHARS: 'a key is longer than 1024 characters',
  MISSING_CHAR: 'a character is missing (such as a closing quote, a comma, a "-" or a space)',
  MULTILINE_IMPLICIT_KEY: 'a key runs over more than one line (is a ":" missing?)',
  MULTIPLE_ANCHORS: 'a value has more than one anchor',
  MULTIPLE_DOCS: 'the file holds more than one YAML document',
  MULTIPLE_TAGS: 'a value has more than one tag',
  NON_STRING_KEY: 'a key is not a string',
  RESOURCE_EXHAUSTION: 'the values are nested too deeply',
  TAB_AS_INDENT: 'a tab is used for indentation (YAML allows only spaces)',
  TAG_RESOLVE_FAILED: 'a tag cannot be applied to its value',
  UNEXPECTED_TOKEN: 'something stands where YAML does not allow it',
};

/** How far aliases may expand the document, as the parser counts it. */
const MAX_ALIAS_COUNT = 100;

/** The file's YAML as plain data; errors point at a line and column, never quote. */
function parseYaml(file: string, text: string): unknown {
  const lineCounter = new LineCounter();
  const fail = (problem: string, offset?: number): UserError => {
    const at = offset === undefined ? undefined : lineCounter.linePos(offset);
    const where = at ? `line ${at.line}, column ${at.col}: ` : '';
    return new UserError(`failed to parse kubeconfig ${quote(file)}: ${where}${problem}`);
  };

  const doc = parseDocument(text, {
    version: '1.1',
    customTags: goLikeTags,
    lineCounter,
    prettyErrors: false,
  });
  const error = doc.errors[0];
  if (error) throw fail(YAML_PROBLEMS[error.code] ?? YAML_PROBLEMS.IMPOSSIBLE, error.pos[0]);
  checkAliases(doc, fail);
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // checkAliases left the parser one ReferenceError: its alias limit
    // (an "alias bomb", a few lines that expand to millions of values).
    if (!(err instanceof ReferenceError)) throw err;
    throw fail('the document contains excessive aliasing');
  }
}

/**
 * Each alias must come after its anchor and must not sit inside the value
 * it names, which Go refuses too ("anchor 'a' value contains itself"): the
 * parser would build a value that contains itself. Like the parser, an
 * alias names the last anchor of that name before it.
 */
function checkAliases(
  doc: Document.Parsed,
  fail: (problem: string, offset?: number) => UserError,
): void {
  const anchors = new Map<string, readonly [number, number, number] | undefined>();
  visit(doc, {
    Node: (_key, node) => {
      if (!isAlias(node)) {
        if (node.anchor) anchors.set(node.anchor, node.range ?? undefined);
        return;
      }
      const at = node.range?.[0];
      if (!anchors.has(node.source)) {
        throw fail('an alias (*name) comes before its anchor (&name), or has none', at);
      }
      const range = anchors.get(node.source);
      if (range && at !== undefined && at >= range[0] && at < range[2]) {
        throw fail('an alias (*name) stands inside the value of its own anchor (&name)', at);
      }
    },
  });
}

/** Parses one file and checks its top level; stanzas stay unchecked. */
function parseKubeconfig(
  file: string,
  text: string,
  platform: NodeJS.Platform,
  log: Logger,
): ParsedFile {
  const root = parseYaml(file, text);
  if (root === null || root === undefined) return { file, stanzas: emptyStanzas() };
  if (!isMapping(root)) {
    throw new UserError(
      `invalid kubeconfig ${quote(file)}: the file must hold a mapping, not ${typeName(root)}`,
    );
  }
  checkHeader(file, root);
  const dir = pathsFor(platform).dirname(pathsFor(platform).resolve(file));
  const stanzas = emptyStanzas();
  for (const spec of LISTS) {
    stanzas[spec.list] = readList(file, root, spec, dir, platform, log);
  }
  return { file, currentContext: topString(file, root, 'current-context'), stanzas };
}

function emptyStanzas(): Record<ListName, Stanza[]> {
  return { clusters: [], users: [], contexts: [] };
}

/** kind and apiVersion may be absent, but nothing other than Config/v1. */
function checkHeader(file: string, root: Record<string, unknown>): void {
  const expected = { kind: 'Config', apiVersion: 'v1' } as const;
  for (const [key, want] of Object.entries(expected)) {
    const value = topString(file, root, key);
    if (value !== undefined && value !== want) {
      throw new UserError(
        `invalid kubeconfig ${quote(file)}: ${key} is ${quote(value)}, expected ${quote(want)}`,
      );
    }
  }
}

/** A top-level string field; a wrong type here is fatal, as in kubectl. */
function topString(file: string, root: Record<string, unknown>, key: string): string | undefined {
  const value = root[key];
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new UserError(
      `invalid kubeconfig ${quote(file)}: ${key} must be a string, not ${typeName(value)}`,
    );
  }
  return value;
}

/** The named entries of one list, relative paths resolved. */
function readList(
  file: string,
  root: Record<string, unknown>,
  spec: (typeof LISTS)[number],
  dir: string,
  platform: NodeJS.Platform,
  log: Logger,
): Stanza[] {
  const value = root[spec.list];
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new UserError(
      `invalid kubeconfig ${quote(file)}: ${spec.list} must be a list, not ${typeName(value)}`,
    );
  }
  const out: Stanza[] = [];
  value.forEach((entry: unknown, i) => {
    const where = `${spec.list}[${i}]`;
    const name = isMapping(entry) ? entry.name : undefined;
    if (!isMapping(entry) || typeof name !== 'string' || name === '') {
      // Nothing can refer to an entry without a name, so it cannot matter.
      log.v(1, `kubeconfig: ignoring ${where} in ${quote(file)}: it has no name`);
      return;
    }
    const body = resolvePaths(entry[spec.body], spec.files, dir, platform);
    out.push({ name, file, path: where, body });
  });
  return out;
}

/** A copy of a stanza body with its relative file paths made absolute. */
function resolvePaths(
  body: unknown,
  fields: readonly string[],
  dir: string,
  platform: NodeJS.Platform,
): unknown {
  if (!isMapping(body)) return body;
  const paths = pathsFor(platform);
  const absolute = (ref: unknown): unknown =>
    typeof ref === 'string' && ref !== '' && !paths.isAbsolute(ref) ? paths.join(dir, ref) : ref;

  const out: Record<string, unknown> = { ...body };
  for (const field of fields) if (field in body) out[field] = absolute(body[field]);
  const exec = body.exec;
  // A bare command name is looked up on PATH; only one with a separator is
  // a path (client-go checks for the platform's separator only).
  const separator = platform === 'win32' ? '\\' : '/';
  if (isMapping(exec) && typeof exec.command === 'string' && exec.command.includes(separator)) {
    out.exec = { ...exec, command: absolute(exec.command) };
  }
  return out;
}

/** Path rules of the platform the kubeconfig is read on. */
function pathsFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** First definition of a name wins, as a whole; first non-empty current-context wins. */
function mergeKubeconfigs(
  source: KubeconfigSource,
  searched: string[],
  parsed: ParsedFile[],
): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    source,
    searched,
    files: parsed.map((p) => p.file),
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  for (const file of parsed) {
    if (!merged.currentContext && file.currentContext) {
      merged.currentContext = { name: file.currentContext, file: file.file };
    }
    for (const spec of LISTS) {
      const target = merged[spec.list];
      const seenHere = new Set<string>();
      for (const stanza of file.stanzas[spec.list]) {
        const first = target.get(stanza.name);
        if (seenHere.has(stanza.name) && first?.file === file.file) {
          first.duplicatePath ??= stanza.path;
        }
        seenHere.add(stanza.name);
        if (!first) target.set(stanza.name, stanza);
      }
    }
  }
  return merged;
}
