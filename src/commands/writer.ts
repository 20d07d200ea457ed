/**
 * One place that decides what a write means in each --dry-run mode, and
 * keeps the list of what a run changed (for the partial-failure report).
 */
import { type LiveObject, type ObjectKey, applyObject, deleteObject } from '../k8s/apply.js';
import type { KubeClients } from '../k8s/client.js';
import { type Manifest, describeObject } from '../k8s/objects.js';
import { PartialFailureError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';

/** kubectl's --dry-run values; "none" writes for real. */
export type DryRun = 'none' | 'client' | 'server';

/** Parses --dry-run the way kubectl does ("" and "true" were once "client"). */
export function parseDryRun(value: string | undefined): DryRun | undefined {
  if (value === undefined || value === 'none' || value === 'false') return 'none';
  if (value === 'client' || value === '' || value === 'true') return 'client';
  if (value === 'server') return 'server';
  return undefined;
}

/** Applies and deletes according to the dry-run mode. */
export class Writer {
  /** Status lines of real changes, in order. */
  readonly done: string[] = [];
  /** Every manifest the run applied or would apply, for --dry-run output. */
  readonly manifests: Manifest[] = [];

  /** A namespace a server dry run would create: the server cannot check objects in it. */
  private newNamespace?: string;

  constructor(
    private readonly clients: KubeClients,
    private readonly log: Logger,
    readonly dryRun: DryRun,
  ) {}

  /**
   * Applies `manifest` (or pretends to) and prints kubectl's status line;
   * `quiet` for a follow-up apply of an object this run just created.
   */
  async apply(
    manifest: Manifest,
    before: LiveObject | undefined,
    quiet = false,
  ): Promise<LiveObject | undefined> {
    if (!quiet) this.manifests.push(manifest);
    const name = describeObject(manifest.kind, manifest.metadata.name);
    if (this.dryRun === 'client') {
      // Without the server, an existing object reads "configured" even when
      // applying it would change nothing: only a server dry run can tell.
      this.log.status(`${name} ${before ? 'configured' : 'created'} (dry run)`);
      return undefined;
    }
    const ns = manifest.metadata.namespace;
    if (this.dryRun === 'server' && ns !== undefined && ns === this.newNamespace) {
      this.log.status(
        `${name} created (dry run; not checked by the server: namespace` +
          ` "${this.newNamespace}" does not exist yet)`,
      );
      return undefined;
    }
    const result = await applyObject(this.clients, manifest, before, {
      dryRun: this.dryRun === 'server',
    });
    if (!quiet) this.report(`${name} ${result.outcome}`, result.outcome !== 'unchanged');
    return result.object;
  }

  /** Deletes `key` (or pretends to); `why` ends the status line. */
  async delete(key: ObjectKey, why: string): Promise<void> {
    const name = describeObject(key.kind, key.name);
    if (this.dryRun === 'client') {
      this.log.status(`${name} deleted ${why} (dry run)`);
      return;
    }
    if (await deleteObject(this.clients, key, { dryRun: this.dryRun === 'server' })) {
      this.report(`${name} deleted ${why}`, true);
    }
  }

  /** Notes that `namespace` does not exist yet (see newNamespace). */
  namespaceIsNew(namespace: string): void {
    this.newNamespace = namespace;
  }

  /**
   * `err`, with the list of what this run changed when it changed
   * anything, so the user learns what exists now.
   */
  withState(err: unknown): unknown {
    if (this.done.length === 0 || !(err instanceof Error)) return err;
    return new PartialFailureError(messageOf(err), [...this.done], { cause: err });
  }

  /** A line for something written outside apply/delete (a token). */
  record(line: string): void {
    if (this.dryRun === 'none') this.done.push(line);
  }

  private report(line: string, changed: boolean): void {
    if (this.dryRun === 'server') {
      this.log.status(`${line} (server dry run)`);
      return;
    }
    if (changed) this.done.push(line);
    this.log.status(line);
  }
}
