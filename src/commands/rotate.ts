/**
 * `kubectl sa-kubeconfig rotate NAME`: a fresh token for an account this
 * tool manages, written where the old kubeconfig was; old revocable or
 * legacy tokens are revoked only once the new kubeconfig is verified.
 */
import { promises as fs } from 'node:fs';

import { parse } from 'yaml';

import { UserError } from '../errors.js';
import { type LiveObject, type ObjectKey, listObjects, readObject } from '../k8s/apply.js';
import {
  type AccountRef,
  type TokenKind,
  accountSelector,
  annotationKeys,
  describeObject,
  labelKeys,
  manager,
} from '../k8s/objects.js';
import { clusterLabel, defaultNames } from '../kubeconfig/build.js';
import type { ConnectionFlags, ResolvedConfig } from '../kubeconfig/types.js';
import { validateName } from '../names.js';
import { accountManifest, validateCredential } from './create.js';
import {
  type CredentialSpec,
  type OutputSpec,
  deliver,
  issueCredential,
  renderCredential,
  reportExpiry,
  validateOutputFlags,
} from './credential.js';
import { type Deps, connect, loadContext } from './deps.js';
import { settle } from '../settle.js';
import { verifyCredential } from './verify.js';
import { Writer } from './writer.js';

/** The rotate command's flags as parsed. */
export interface RotateFlags {
  name: string;
  connection: ConnectionFlags;
  /** Unset: the lifetime recorded by create. */
  duration?: string;
  audiences: string[];
  revocable?: boolean;
  legacyToken?: boolean;
  verify?: boolean;
  output: string;
  outputFile?: string;
  /** Replace --output-file even when it is not this account's kubeconfig. */
  force?: boolean;
  clusterName?: string;
  userName?: string;
  contextName?: string;
}

/** Rotate once its flags passed validation. */
export interface RotateOptions {
  name: string;
  connection: ConnectionFlags;
  /** Token flags given on the command line; the rest comes from the account. */
  override: Partial<CredentialSpec> & { audiencesGiven: boolean };
  flags: RotateFlags;
  verify: boolean;
  output: OutputSpec;
  force: boolean;
}

/** Checks the flags without touching the network or the disk. */
export function validateRotate(flags: RotateFlags): RotateOptions {
  validateName(flags.name, 'NAME');
  const output = validateOutputFlags(flags, true);
  const parsed = validateCredential(flags);
  const kindGiven = flags.revocable === true || flags.legacyToken === true;
  return {
    name: flags.name,
    connection: flags.connection,
    override: {
      kind: kindGiven ? parsed.kind : undefined,
      token: parsed.token,
      audiencesGiven: flags.audiences.length > 0,
    },
    flags,
    verify: flags.verify ?? true,
    force: flags.force === true,
    output,
  };
}

/** Issues, writes and verifies the new token, then revokes the old ones. */
export async function runRotate(opts: RotateOptions, deps: Deps): Promise<void> {
  const config = await loadContext(opts.connection, deps);
  const account = { name: opts.name, namespace: config.namespace };
  if (opts.output.file && !opts.force) await checkReplaceable(opts.output, config, account);
  const clients = await connect(config, deps);
  const writer = new Writer(clients, deps.log, 'none');
  try {
    const sa = checkManaged(
      await readObject(clients, { kind: 'ServiceAccount', ...account }),
      account,
    );
    const spec = settingsOf(sa, opts);
    const previous = sa.metadata?.annotations?.[annotationKeys.tokenKind] ?? 'bound';
    const old = await tokenSecrets(clients, account);
    // New settings from flags become the account's, for the next rotate.
    await writer.apply(accountManifest(account, spec), sa);

    const credential = await issueCredential(clients, writer, account, spec, deps);
    const text = renderCredential(config, account, credential, opts.output);
    await deliver(config, text, opts.output, deps);
    if (opts.output.file) writer.record(`kubeconfig written to ${opts.output.file}`);
    reportExpiry(account, spec, credential, deps);
    if (!opts.verify) {
      keepOld(old, spec.kind, deps);
      return;
    }
    await verifyCredential(
      {
        file: opts.output.file,
        config,
        token: credential.token,
        audiences: spec.token.audiences,
      },
      account,
      clients,
      deps,
    );
    await settle(old.map((key) => writer.delete(key, '(its token is revoked)')));
    if (previous === 'bound') warnUnrevocable(account, deps);
  } catch (err) {
    throw writer.withState(err);
  } finally {
    clients.close();
  }
}

/**
 * rotate rewrites its file without --force, so it first makes sure the
 * file is this account's kubeconfig (its current context is the one rotate
 * writes), not some other file named by mistake.
 */
async function checkReplaceable(
  output: OutputSpec,
  config: ResolvedConfig,
  account: AccountRef,
): Promise<void> {
  const file = output.file as string;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return; // absent (or unreadable): the writer creates it or says why not
  }
  const expected =
    output.names.context ??
    defaultNames(account.name, account.namespace, clusterLabel(config.cluster)).context;
  let current: unknown;
  try {
    current = (parse(text) as { 'current-context'?: unknown } | null)?.['current-context'];
  } catch {
    current = undefined;
  }
  if (current !== expected) {
    throw new UserError(
      `"${file}" is not the kubeconfig of "${account.namespace}/${account.name}" (its current` +
        ` context is not "${expected}"): pass --force to replace it`,
    );
  }
}

function checkManaged(sa: LiveObject | undefined, account: AccountRef): LiveObject {
  const ref = `"${account.namespace}/${account.name}"`;
  if (!sa) {
    throw new UserError(
      `serviceaccount ${ref} does not exist` +
        ` (create it with \`kubectl sa-kubeconfig ${account.name} -n ${account.namespace}\`)`,
    );
  }
  if (sa.metadata?.labels?.[labelKeys.managedBy] !== manager) {
    throw new UserError(
      `serviceaccount ${ref} was not created by ${manager}, so it has no recorded token` +
        ' settings (use `kubectl sa-kubeconfig create` to issue a token for it)',
    );
  }
  return sa;
}

/** Flags win; otherwise the settings create recorded on the account. */
function settingsOf(sa: LiveObject, opts: RotateOptions): CredentialSpec {
  const notes = sa.metadata?.annotations ?? {};
  const recordedKind = notes[annotationKeys.tokenKind] as TokenKind | undefined;
  const kind = opts.override.kind ?? recordedKind ?? 'bound';
  const given = opts.override.token;
  const recorded = validateCredential({
    duration: kind === 'legacy' ? undefined : notes[annotationKeys.tokenDuration],
    audiences: kind === 'legacy' ? [] : splitList(notes[annotationKeys.tokenAudiences]),
  }).token;
  return {
    kind,
    token: {
      durationSeconds: given?.durationSeconds ?? recorded.durationSeconds,
      audiences: opts.override.audiencesGiven ? (given?.audiences ?? []) : recorded.audiences,
    },
  };
}

async function tokenSecrets(
  clients: Parameters<typeof listObjects>[0],
  account: AccountRef,
): Promise<ObjectKey[]> {
  const items = await listObjects(clients, 'Secret', accountSelector(account), account.namespace);
  return items
    .filter((s) => s.metadata?.labels?.[labelKeys.tokenKind] !== undefined)
    .map((s) => ({
      kind: 'Secret' as const,
      name: s.metadata?.name ?? '',
      namespace: account.namespace,
    }));
}

function keepOld(old: ObjectKey[], kind: TokenKind, deps: Deps): void {
  if (old.length === 0) return;
  const names = old.map((k) => describeObject(k.kind, k.name)).join(', ');
  deps.log.warn(
    `--verify=false: the old tokens stay valid (${names}); delete those Secrets once the new` +
      ` kubeconfig works${kind === 'bound' ? '' : ', or rotate again with verification'}`,
  );
}

function warnUnrevocable(account: AccountRef, deps: Deps): void {
  deps.log.warn(
    `tokens issued earlier for "${account.namespace}/${account.name}" stay valid until they` +
      ' expire (issue --revocable tokens to be able to revoke them)',
  );
}

function splitList(text: string | undefined): string[] {
  return text ? text.split(',').filter(Boolean) : [];
}
