/**
 * Reading the files a kubeconfig points at, with causes worded for people:
 * Node's "ENOENT: no such file or directory, open '/x'" repeats the path
 * that our own message already quotes.
 */
import { readFileSync } from 'node:fs';

import { UserError } from '../errors.js';

/** The short cause of a file system error ("no such file", "permission denied"). */
export function fsCause(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a parent of it is not a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** True when `err` says the file does not exist (client-go's os.IsNotExist). */
export function isNotExist(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Reads a UTF-8 file named by a kubeconfig field or flag. `what` names it in
 * the error, e.g. `certificate-authority "/a/ca.crt" of cluster "prod"`.
 */
export function readReferencedFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`failed to read ${what}: ${fsCause(err)}`, { cause: err });
  }
}
