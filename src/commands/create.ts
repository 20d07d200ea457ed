/**
 * `kubectl sa-kubeconfig [create] NAME`: ensure the ServiceAccount, grant
 * it access, request a token and print or write its kubeconfig.
 */
import { PartialFailureError, UsageError, UserError, messageOf } from '../errors.js';
import { parseGoDuration } from '../duration.js';
import {
  type LiveObject,
  type ObjectKey,
  type Outcome,
  applyObject,
  deleteObject,
  keyOf,
  listManaged,
  readObject,
} from '../k8s/apply.js';
import type { KubeClients } from '../k8s/client.js';
import { mapResources } from '../k8s/discovery.js';
import { statusMessage } from '../k8s/errors.js';
import {
  type AccountRef,
  type Manifest,
  type RoleRef,
  accountSelector,
  bindingManifest,
  describeObject,
  labelKeys,
  manager,
  namespaceManifest,
  rulesRoleManifest,
  serviceAccountManifest,
} from '../k8s/objects.js';
import {
  type RuleSpec,
  checkSpecialVerbs,
  hasRules,
  parseRules,
  toPolicyRules,
  validateRules,
} from '../k8s/rules.js';
import {
  type IssuedToken,
  type TokenSpec,
  formatSeconds,
  requestToken,
  shortfallWarning,
  tokenSeconds,
} from '../k8s/token.js';
import { type EntryNames, buildKubeconfig, defaultNames } from '../kubeconfig/build.js';
import type { ConnectionFlags, ResolvedConfig } from '../kubeconfig/types.js';
import {
  type OutputFormat,
  checkOutputFile,
  printToStdout,
  renderKubeconfig,
  writeOutputFile,
} from '../kubeconfig/write.js';
import { validateName } from '../names.js';
import { type Deps, connect, loadContext } from './deps.js';

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
  output: string;
  outputFile?: string;
  force: boolean;
  clusterName?: string;
  userName?: string;
  contextName?: string;
}

/** What access to grant. */
export interface Grants {
  clusterRoles: string[];
  roles: string[];
  rules: RuleSpec;
  clusterWide: boolean;
}

/** The create command once its flags passed validation. */
export interface CreateOptions {
  name: string;
  connection: ConnectionFlags;
  grants: Grants;
  createNamespace: boolean;
  token: TokenSpec;
  output: OutputFormat;
  outputFile?: string;
  force: boolean;
  names: Partial<EntryNames>;
  /** Warnings found while validating, printed before the run. */
  warnings: string[];
}

/** The run's state once the kubeconfig is resolved. */
interface Job {
  opts: CreateOptions;
  config: ResolvedConfig;
  account: AccountRef;
  clients: KubeClients;
  deps: Deps;
  /** Status lines of what was written so far, for a partial failure. */
  done: string[];
}

/** What the first, read-only round of calls found. */
interface Survey {
  namespace?: LiveObject;
  account?: LiveObject;
  missingRoles: string[];
  rulesManifest?: Manifest;
  managed: ObjectKey[];
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
  if (flags.output !== 'yaml' && flags.output !== 'json') {
    throw new UsageError(`--output must be yaml or json, not "${flags.output}"`);
  }
  if (flags.force && !flags.outputFile) throw new UsageError('--force needs --output-file');
  if (flags.audiences.some((a) => a.trim() === '')) {
    throw new UsageError('--audience must not be empty');
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
    token: { durationSeconds: parseDuration(flags.duration), audiences: unique(flags.audiences) },
    output: flags.output,
    outputFile: flags.outputFile,
    force: flags.force,
    names: { cluster: flags.clusterName, user: flags.userName, context: flags.contextName },
    warnings,
  };
}

/** Runs the whole job: survey, grant, token, output. */
export async function runCreate(opts: CreateOptions, deps: Deps): Promise<void> {
  for (const warning of opts.warnings) deps.log.warn(warning);
  if (opts.outputFile) await checkOutputFile(opts.outputFile, opts.force);
  const config = await loadContext(opts.connection, deps);
  const account = { name: opts.name, namespace: config.namespace };
  const clients = await connect(config, deps);
  const job: Job = { opts, config, account, clients, deps, done: [] };
  try {
    const survey = await surveyCluster(job);
    checkSurvey(job, survey);

    await ensureNamespace(job, survey);
    await ensureAccount(job, survey);
    const [issued] = await Promise.all([issueToken(job), grantAccess(job, survey)]);

    await writeResult(job, issued);
    reportToken(job, issued);
  } catch (err) {
    throw withState(err, job.done);
  } finally {
    clients.close();
  }
}

/** Reads everything the plan depends on, all at once. */
async function surveyCluster(job: Job): Promise<Survey> {
  const { clients, account, opts } = job;
  const { grants } = opts;
  const roleChecks = [
    ...grants.clusterRoles.map((name) => ({ kind: 'ClusterRole' as const, name })),
    ...grants.roles.map((name) => ({ kind: 'Role' as const, name, namespace: account.namespace })),
  ];
  const [namespace, sa, roles, rulesManifest, managed] = await Promise.all([
    opts.createNamespace ? readObject(clients, { kind: 'Namespace', name: account.namespace }) : undefined,
    readObject(clients, { kind: 'ServiceAccount', ...account }),
    Promise.all(roleChecks.map((key) => readObject(clients, key))),
    buildRulesRole(job),
    listAllManaged(job),
  ]);
  const missingRoles = roleChecks
    .filter((_, i) => roles[i] === undefined)
    .map((key) => describeRoleRef(key.kind, key.name, account.namespace));
  return { namespace, account: sa, missingRoles, rulesManifest, managed };
}

function checkSurvey(job: Job, survey: Survey): void {
  if (survey.missingRoles.length > 0) {
    throw new UserError(
      `cannot grant access to "${job.account.namespace}/${job.account.name}":` +
        ` ${survey.missingRoles.join(', ')} not found` +
        ' (check the name with `kubectl get clusterroles` or `kubectl get roles -n NAMESPACE`)',
    );
  }
}

async function buildRulesRole(job: Job): Promise<Manifest | undefined> {
  const { rules, clusterWide } = job.opts.grants;
  if (!hasRules(rules)) return undefined;
  const mapped = await mapResources(job.clients, rules.resources);
  checkSpecialVerbs(rules.verbs, mapped);
  return rulesRoleManifest(job.account, toPolicyRules(rules, mapped), clusterWide);
}

/**
 * Cluster-scoped objects are listed only when the caller may: a namespace
 * admin cannot list ClusterRoleBindings, and has made none.
 */
async function listAllManaged(job: Job): Promise<ObjectKey[]> {
  const { clients, account } = job;
  const selector = accountSelector(account);
  const namespaced = Promise.all([
    listManaged(clients, 'Role', selector, account.namespace),
    listManaged(clients, 'RoleBinding', selector, account.namespace),
  ]);
  const clusterScoped = Promise.all([
    listManaged(clients, 'ClusterRole', selector, ''),
    listManaged(clients, 'ClusterRoleBinding', selector, ''),
  ]).catch((err: unknown) => {
    if (job.opts.grants.clusterWide) throw err;
    job.deps.log.v(1, `not checking cluster-wide grants: ${messageOf(err)}`);
    return [[], []];
  });
  return [...(await namespaced), ...(await clusterScoped)].flat().filter((k) => k.name);
}

async function ensureNamespace(job: Job, survey: Survey): Promise<void> {
  if (!job.opts.createNamespace) return;
  const name = job.account.namespace;
  if (survey.namespace) {
    job.deps.log.v(2, `${describeObject('Namespace', name)} exists`);
    return;
  }
  await apply(job, namespaceManifest(name), undefined);
}

/**
 * An account this tool did not create is reused as it is: never labelled,
 * so `delete` will leave it alone.
 */
async function ensureAccount(job: Job, survey: Survey): Promise<void> {
  const labels = survey.account?.metadata?.labels ?? {};
  if (survey.account && labels[labelKeys.managedBy] !== manager) {
    job.deps.log.status(
      `${describeObject('ServiceAccount', job.account.name)} reused (it exists and` +
        ` ${manager} did not create it)`,
    );
    return;
  }
  try {
    await apply(job, serviceAccountManifest(job.account), survey.account);
  } catch (err) {
    throw explainMissingNamespace(err, job.account.namespace);
  }
}

function explainMissingNamespace(err: unknown, namespace: string): unknown {
  const message = statusMessage((err as { cause?: unknown }).cause);
  if (!message || !/namespaces? "[^"]+" not found/.test(message)) return err;
  return new UserError(
    `namespace "${namespace}" does not exist (pass --create-namespace to create it)`,
    { cause: err },
  );
}

/** Applies the role and bindings, then removes grants no longer asked for. */
async function grantAccess(job: Job, survey: Survey): Promise<void> {
  const wanted = desiredGrants(job, survey);
  if (wanted.length === 0) {
    reportNoGrants(job, survey);
    return;
  }
  const [role, bindings] = splitRole(wanted);
  if (role) await apply(job, role, await readObject(job.clients, keyOf(role)));
  const befores = await Promise.all(bindings.map((b) => readObject(job.clients, keyOf(b))));
  await Promise.all(bindings.map((b, i) => apply(job, b, befores[i])));
  await pruneGrants(job, survey, wanted);
}

function desiredGrants(job: Job, survey: Survey): Manifest[] {
  const { account } = job;
  const { clusterRoles, roles, clusterWide } = job.opts.grants;
  const out: Manifest[] = [];
  if (survey.rulesManifest) {
    out.push(survey.rulesManifest);
    const ref: RoleRef = { kind: survey.rulesManifest.kind as RoleRef['kind'], name: survey.rulesManifest.metadata.name };
    out.push(bindingManifest(account, ref, clusterWide));
  }
  for (const name of clusterRoles) {
    out.push(bindingManifest(account, { kind: 'ClusterRole', name }, clusterWide));
  }
  for (const name of roles) out.push(bindingManifest(account, { kind: 'Role', name }, false));
  return out;
}

function splitRole(wanted: Manifest[]): [Manifest | undefined, Manifest[]] {
  const role = wanted.find((m) => m.kind === 'Role' || m.kind === 'ClusterRole');
  return [role, wanted.filter((m) => m !== role)];
}

function reportNoGrants(job: Job, survey: Survey): void {
  const ref = `"${job.account.namespace}/${job.account.name}"`;
  if (survey.managed.length > 0) {
    job.deps.log.status(
      `no access flags given: serviceaccount ${ref} keeps its ${survey.managed.length}` +
        ' existing grant object(s)',
    );
    return;
  }
  job.deps.log.warn(
    `serviceaccount ${ref} has no permissions granted by this tool` +
      ' (pass --clusterrole, --role or --verb with --resource to grant some)',
  );
}

/** Objects labelled for this account that the new flags no longer ask for. */
async function pruneGrants(job: Job, survey: Survey, wanted: Manifest[]): Promise<void> {
  const keep = new Set(wanted.map((m) => `${m.kind}/${m.metadata.name}`));
  const stale = survey.managed.filter((k) => !keep.has(`${k.kind}/${k.name}`));
  await Promise.all(
    stale.map(async (key) => {
      if (await deleteObject(job.clients, key)) {
        const line = `${describeObject(key.kind, key.name)} deleted (no longer asked for)`;
        job.done.push(line);
        job.deps.log.status(line);
      }
    }),
  );
}

async function apply(job: Job, manifest: Manifest, before: LiveObject | undefined): Promise<void> {
  const outcome: Outcome = await applyObject(job.clients, manifest, before);
  const line = `${describeObject(manifest.kind, manifest.metadata.name)} ${outcome}`;
  if (outcome !== 'unchanged') job.done.push(line);
  job.deps.log.status(line);
}

async function issueToken(job: Job): Promise<IssuedToken> {
  const issued = await requestToken(job.clients, job.account, job.opts.token);
  job.deps.log.addSecret(issued.token);
  return issued;
}

async function writeResult(job: Job, issued: IssuedToken): Promise<void> {
  const { opts, config, account } = job;
  const names = { ...defaultNames(account.name, account.namespace, config.cluster.name) };
  for (const key of ['cluster', 'user', 'context'] as const) {
    names[key] = opts.names[key] ?? names[key];
  }
  if (config.cluster.insecureSkipTlsVerify) {
    job.deps.log.warn(
      'the kubeconfig skips TLS verification (insecure-skip-tls-verify), as the source' +
        ' cluster entry does: anyone on the network path can read the token',
    );
  }
  const kubeconfig = buildKubeconfig({
    cluster: config.cluster,
    token: issued.token,
    namespace: account.namespace,
    names,
  });
  const text = renderKubeconfig(kubeconfig, opts.output);
  if (!opts.outputFile) {
    printToStdout(text, job.deps.out);
    return;
  }
  await writeOutputFile(opts.outputFile, text, opts.force);
  job.deps.log.status(`kubeconfig written to ${opts.outputFile} (mode 0600)`);
}

function reportToken(job: Job, issued: IssuedToken): void {
  const now = job.deps.now();
  const left = Math.max(0, Math.round((issued.expiresAt.getTime() - now.getTime()) / 1000));
  job.deps.log.status(
    `token for serviceaccount "${job.account.namespace}/${job.account.name}" expires` +
      ` ${issued.expiresAt.toISOString()} (in ${formatSeconds(left)})`,
  );
  const warning = shortfallWarning(job.opts.token, issued, now);
  if (warning) job.deps.log.warn(warning);
}

function withState(err: unknown, done: string[]): unknown {
  if (done.length === 0 || !(err instanceof Error)) return err;
  return new PartialFailureError(messageOf(err), [...done], { cause: err });
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
    throw new UsageError(`invalid role name "${name}": it must not be empty, ".", ".." or hold "/" or "%"`);
  }
}

function describeRoleRef(kind: string, name: string, namespace: string): string {
  return kind === 'Role' ? `role "${namespace}/${name}"` : `clusterrole "${name}"`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
