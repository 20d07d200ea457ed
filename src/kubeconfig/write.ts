/**
 * The output writer: the only code, with log.ts, that touches a stream.
 *
 * A file is created 0600 from its first byte, written under a temporary
 * name in the same folder and renamed into place, so a reader never sees a
 * half-written or world-readable credential.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, rmSync } from 'node:fs';
import path from 'node:path';

import { stringify } from 'yaml';

import { UserError, messageOf } from '../errors.js';

/** yaml or json, as `kubectl config view -o`. */
export type OutputFormat = 'yaml' | 'json';

/** Where stdout text goes; a test passes its own. */
export interface OutputSink {
  write(text: string): unknown;
}

/**
 * kubectl's layout: no folded lines, lists not indented under their key,
 * and no YAML anchors for repeated values (a reviewer reads every rule).
 */
const yamlOptions = { lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false } as const;

/** Renders the kubeconfig; both forms end in a newline. */
export function renderKubeconfig(config: object, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(config, null, 4)}\n`;
  return stringify(config, yamlOptions);
}

/**
 * Renders --dry-run manifests: YAML documents a reviewer can commit, or a
 * v1 List in JSON, as kubectl prints several objects.
 */
export function renderManifests(manifests: object[], format: OutputFormat): string {
  if (format === 'json') {
    return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }, null, 4)}\n`;
  }
  return manifests.map((m) => stringify(m, yamlOptions)).join('---\n');
}

/**
 * The process's stdout, for main to hand to the commands. A write resolves
 * once the text is handed to the system, and fails (a closed pipe, a full
 * disk) instead of crashing the process with an unhandled 'error' event.
 */
export const standardOutput: OutputSink = {
  write: (text: string) =>
    new Promise<void>((resolve, reject) => {
      process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
    }),
};
// The failed write's callback reports the error; the stream emits it too.
process.stdout.on('error', () => undefined);

/** Writes text to stdout; a failure names the cause. */
export async function printToStdout(text: string, out: OutputSink = standardOutput): Promise<void> {
  try {
    await out.write(text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? messageOf(err);
    throw new UserError(`failed to write the output to stdout: ${code}`, { cause: err });
  }
}

/**
 * Fails early, before any API call, when the file cannot be written: its
 * folder is missing or not writable, it is a folder, or it exists and
 * --force is off.
 */
export async function checkOutputFile(file: string, force: boolean): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat) throw new UserError(`cannot write "${file}": the folder "${dir}" does not exist`);
  if (!stat.isDirectory()) throw new UserError(`cannot write "${file}": "${dir}" is not a folder`);
  try {
    await fs.access(dir, constants.W_OK);
  } catch {
    throw new UserError(`cannot write "${file}": the folder "${dir}" is not writable`);
  }
  const target = await fs.stat(file).catch(() => undefined);
  if (target?.isDirectory()) throw new UserError(`cannot write "${file}": it is a folder`);
  if (force) return;
  if (await exists(file)) {
    throw new UserError(`"${file}" already exists (pass --force to replace it)`);
  }
}

/** Writes `text` to `file` with mode 0600, atomically. */
export async function writeOutputFile(file: string, text: string, force: boolean): Promise<void> {
  const target = path.resolve(file);
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const removeOnSignal = cleanupOnSignal(temp);
  try {
    await writePrivate(temp, text);
    await place(temp, target, force);
  } catch (err) {
    await fs.rm(temp, { force: true });
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`failed to write "${file}": ${code ?? messageOf(err)}`, { cause: err });
  } finally {
    removeOnSignal();
  }
}

/**
 * While the temporary file exists, Ctrl-C or a TERM removes it before the
 * process ends by that signal as it otherwise would: it holds the token.
 * Returns the function that takes the handlers away again.
 */
function cleanupOnSignal(temp: string): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const handler = (signal: NodeJS.Signals) => {
    rmSync(temp, { force: true });
    for (const s of signals) process.off(s, handler);
    process.kill(process.pid, signal);
  };
  for (const s of signals) process.once(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

async function writePrivate(file: string, text: string): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  const handle = await fs.open(file, flags, 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Without --force a hard link is the atomic "create if absent": it fails if
 * the name appeared meanwhile, where a rename would silently replace it.
 */
async function place(temp: string, target: string, force: boolean): Promise<void> {
  if (force) {
    await fs.rename(temp, target);
    return;
  }
  try {
    await fs.link(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new UserError(`"${target}" already exists (pass --force to replace it)`);
    }
    // Some filesystems (FAT, several network mounts) have no hard links:
    // there the check and the rename are two steps, with a small race.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    if (await exists(target)) {
      throw new UserError(`"${target}" already exists (pass --force to replace it)`);
    }
    await fs.rename(temp, target);
    return;
  }
  await fs.rm(temp, { force: true });
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}
