/**
 * `kubectl sa-kubeconfig [create] NAME`: ensure the ServiceAccount, grant
 * it access, issue a token and print or write its kubeconfig.
 */
import { parseGoDuration } from '../duration.js';
import { UsageError, messageOf } from '../errors.js';
import {
  type AccountRef,
  type Manifest,
  type TokenKind,
  annotationKeys,
  serviceAccountManifest,
} from '../k8s/objects.js';
import { parseRules, validateRules } from '../k8s/rules.js';
import { formatSeconds, tokenSeconds } from '../k8s/token.js';
import type { ConnectionFlags } from '../kubeconfig/types.js';
import { checkOutputFile, printToStdout, renderManifests } from '../kubeconfig/write.js';
import { validateName } from '../names.js';
import {
  type AccessJob,
  type Grants,
  checkSurvey,
  ensureAccount,
  ensureNamespace,
  grantAccess,
  reportNoGrants,
  surveyCluster,
} from './access.js';
import {
  type CredentialSpec,
  type OutputSpec,
  deliver,
  validateOutputFlags,
  issueCredential,
  renderCredential,
  reportExpiry,
  tokenSecretManifest,
} from './credential.js';
import { type Deps, connect, loadContext } from './deps.js';
import { settle } from '../settle.js';
import { verifyCredential } from './verify.js';
import { type DryRun, Writer, parseDryRun } from './writer.js';

/** The create command's flags as parsed, before any check. */
export interface CreateFlags {
  name: string;
  connection: ConnectionFlags;
  clusterRoles: string[];
  roles: string[];
  verbs: string[];
  resources: string[];
  resourceNames: string[];
  clusterWide: boolean;
  createNamespace: boolean;
  /** kubectl duration text; unset: the server's default lifetime. */
  duration?: string;
  audiences: string[];
  revocable?: boolean;
  legacyToken?: boolean;
  /** --dry-run as typed: none, client or server. */
  dryRun?: string;
  /** Unset: on when writing a file, off when printing. */
  verify?: boolean;
  output: string;
  outputFile?: string;
  force: boolean;
  clusterName?: string;
  userName?: string;
  contextName?: string;
}

/** The create command once its flags passed validation. */
export interface CreateOptions {
  name: string;
  connection: ConnectionFlags;
  grants: Grants;
  createNamespace: boolean;
  credential: CredentialSpec;
  dryRun: DryRun;
  verify: boolean;
  output: OutputSpec;
  /** Warnings found while validating, printed before the run. */
  warnings: string[];
}

/** Checks every flag without touching the network or the disk. */
export function validateCreate(flags: CreateFlags): CreateOptions {
  validateName(flags.name, 'NAME');
  if (flags.connection.namespace !== undefined) {
    validateName(flags.connection.namespace, '--namespace', 'label');
  }
  for (const role of [...flags.clusterRoles, ...flags.roles]) validateRoleName(role);
  const rules = parseRules(flags.verbs, flags.resources, flags.resourceNames);
  const warnings = validateRules(rules);
  const output = validateOutput(flags);
  const dryRun = parseDryRun(flags.dryRun);
  if (!dryRun) {
    throw new UsageError(`--dry-run must be none, client or server, not "${flags.dryRun}"`);
  }
  return {
    name: flags.name,
    connection: flags.connection,
    grants: {
      clusterRoles: unique(flags.clusterRoles),
      roles: unique(flags.roles),
      rules,
      clusterWide: flags.clusterWide,
    },
    createNamespace: flags.createNamespace,
    credential: validateCredential(flags),
    dryRun,
    // A token for another audience is usually not meant for the API server,
    // which would refuse it: then only an explicit --verify checks.
    verify:
      dryRun === 'none' &&
      (flags.verify ?? (flags.outputFile !== undefined && flags.audiences.length === 0)),
    output,
    warnings,
  };
}

function validateOutput(flags: CreateFlags): OutputSpec {
  const output = validateOutputFlags(flags, flags.force);
  if (flags.force && !flags.outputFile) throw new UsageError('--force needs --output-file');
  if (flags.outputFile && (flags.dryRun ?? 'none') !== 'none') {
    throw new UsageError(
      '--output-file cannot be combined with --dry-run: the preview goes to stdout',
    );
  }
  return output;
}

/** Token flags; shared with rotate. */
export function validateCredential(flags: {
  duration?: string;
  audiences: string[];
  revocable?: boolean;
  legacyToken?: boolean;
}): CredentialSpec {
  if (flags.audiences.some((a) => a.trim() === '')) {
    throw new UsageError('--audience must not be empty');
  }
  if (flags.legacyToken) {
    const clash =
      flags.duration !== undefined ? '--duration' : flags.revocable ? '--revocable' : '';
    const which = clash || (flags.audiences.length > 0 ? '--audience' : '');
    if (which) throw new UsageError(`--legacy-token cannot be combined with ${which}`);
  }
  const kind: TokenKind = flags.legacyToken ? 'legacy' : flags.revocable ? 'revocable' : 'bound';
  return {
    kind,
    token: { durationSeconds: parseDuration(flags.duration), audiences: unique(flags.audiences) },
  };
}

/** Runs the whole job: survey, grant, token, output, verify. */
export async function runCreate(opts: CreateOptions, deps: Deps): Promise<void> {
  for (const warning of opts.warnings) deps.log.warn(warning);
  if (opts.output.file && opts.dryRun === 'none') {
    await checkOutputFile(opts.output.file, opts.output.replace);
  }
  const config = await loadContext(opts.connection, deps);
  const account = { name: opts.name, namespace: config.namespace };
  const clients = await connect(config, deps);
  const writer = new Writer(clients, deps.log, opts.dryRun);
  const job: AccessJob = { ...opts, clients, account, writer, log: deps.log };
  try {
    const survey = await surveyCluster(job);
    checkSurvey(job, survey);

    await ensureNamespace(job, survey);
    if (opts.createNamespace && !survey.namespace) writer.namespaceIsNew(account.namespace);
    // The account beside the grants: a binding may name an account that
    // does not exist yet.
    const accountStep = ensureAccount(job, survey, accountManifest(account, opts.credential));
    if (opts.dryRun !== 'none') {
      await settle([accountStep, grantAccess(job, survey)]);
      reportNoGrants(job, survey);
      await preview(job, opts, deps);
      return;
    }
    // The token comes last: a grant the API refuses must not leave behind a
    // credential that nothing can revoke.
    await settle([accountStep, grantAccess(job, survey)]);
    const credential = await issueCredential(clients, writer, account, opts.credential, deps);
    reportNoGrants(job, survey);

    const text = renderCredential(config, account, credential, opts.output);
    await deliver(config, text, opts.output, deps);
    if (opts.output.file) writer.record(`kubeconfig written to ${opts.output.file}`);
    reportExpiry(account, opts.credential, credential, deps);
    if (opts.verify) {
      const source = { file: opts.output.file, config, token: credential.token };
      await verifyCredential(
        { ...source, audiences: opts.credential.token.audiences },
        account,
        clients,
        deps,
      );
    }
  } catch (err) {
    throw writer.withState(err);
  } finally {
    clients.close();
  }
}

/** --dry-run: the manifests as applied or previewed, the token Secret last. */
async function preview(job: AccessJob, opts: CreateOptions, deps: Deps): Promise<void> {
  const manifests = [...job.writer.manifests];
  if (opts.credential.kind !== 'bound') {
    const secret = tokenSecretManifest(job.account, opts.credential.kind);
    manifests.push(secret);
    deps.log.status(`secret/${secret.metadata.name} created (dry run; made with the token)`);
  }
  await printToStdout(renderManifests(manifests, opts.output.format), deps.out);
  deps.log.status('no token was requested (dry run)');
}

/**
 * The account, with the token settings of this run noted on it so that
 * `rotate` can repeat them.
 */
export function accountManifest(account: AccountRef, spec: CredentialSpec): Manifest {
  const manifest = serviceAccountManifest(account);
  const annotations: Record<string, string> = { [annotationKeys.tokenKind]: spec.kind };
  if (spec.token.durationSeconds !== undefined) {
    annotations[annotationKeys.tokenDuration] = formatSeconds(spec.token.durationSeconds);
  }
  if (spec.token.audiences.length > 0) {
    annotations[annotationKeys.tokenAudiences] = spec.token.audiences.join(',');
  }
  manifest.metadata.annotations = annotations;
  return manifest;
}

function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (err) {
    throw new UsageError(`invalid --duration: ${messageOf(err)}`);
  }
  return tokenSeconds(ms, text);
}

/** RBAC names are path segments: no "/" or "%", not "." or "..". */
function validateRoleName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/%]/.test(name)) {
    throw new UsageError(
      `invalid role name "${name}": it must not be empty, ".", ".." or hold "/" or "%"`,
    );
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
