// Types of what tests import from release.mjs (plain Node ESM, so it needs no compile step).

/** One packed archive: its platform as "os/arch", its path and its sha256 (lowercase hex). */
export interface ReleaseArchive {
  target: string;
  file: string;
  sha256: string;
}

/** The archive's file name for `target` ("linux/amd64") at version `tag` ("v0.1.0"). */
export function archiveName(tag: string, target: string): string;

/** plugin.yaml with its placeholders filled for `archives`; platforms not built are dropped. */
export function renderManifest(template: string, tag: string, archives: ReleaseArchive[]): string;
