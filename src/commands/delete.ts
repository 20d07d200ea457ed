/**
 * `kubectl sa-kubeconfig delete NAME`: remove what this tool created for an
 * account, found by its labels, and never an object it only reused.
 */
import { PartialFailureError, UsageError, UserError, messageOf } from '../errors.js';
import {
  type LiveObject,
  type ObjectKey,
  deleteObject,
  listManaged,
  readObject,
} from '../k8s/apply.js';
import type { KubeClients } from '../k8s/client.js';
import {
  type AccountRef,
  type Kind,
  accountSelector,
  describeObject,
  labelKeys,
  manager,
} from '../k8s/objects.js';
import type { ConnectionFlags } from '../kubeconfig/types.js';
import { validateName } from '../names.js';
import { type Deps, connect, loadContext } from './deps.js';

/** The delete command's flags; validateDelete checks them. */
export interface DeleteOptions {
  name: string;
  connection: ConnectionFlags;
  /**
   * kubectl's --dry-run: "client" sends no DELETE at all, "server" sends
   * each one with dryRun=All so the API checks it and stores nothing.
   */
  dryRun: 'none' | 'client' | 'server';
}

/** The run's state once the kubeconfig is resolved. */
interface Job {
  opts: DeleteOptions;
  account: AccountRef;
  clients: KubeClients;
  deps: Deps;
  /** Status lines of what was really deleted so far, for a partial failure. */
  done: string[];
}

/** What the read-only first round found. */
interface Survey {
  /** Every object labelled for the account, the ServiceAccount aside. */
  labelled: ObjectKey[];
  serviceAccount?: LiveObject;
  /** True when the ServiceAccount carries the managed-by label. */
  ownAccount: boolean;
  /** True when the namespace was made by --create-namespace (read at -v 1 only). */
  ownNamespace: boolean;
}

/**
 * The order of deletion. Bindings and token Secrets go first, so access and
 * credentials end before anything else; then the roles; the account last.
 * A run that stops half-way leaves nothing that grants access, and running
 * it again finds the rest by their labels.
 */
const steps: Kind[][] = [
  ['RoleBinding', 'ClusterRoleBinding', 'Secret'],
  ['Role', 'ClusterRole'],
];

const dryRunModes = ['none', 'client', 'server'];

const dryRunSuffix = { none: '', client: ' (dry run)', server: ' (server dry run)' };

/** Checks the flags without touching the network or the disk. */
export function validateDelete(flags: DeleteOptions): DeleteOptions {
  validateName(flags.name, 'NAME');
  if (flags.connection.namespace !== undefined) {
    validateName(flags.connection.namespace, '--namespace', 'label');
  }
  if (!dryRunModes.includes(flags.dryRun)) {
    throw new UsageError(`--dry-run must be none, client or server, not "${flags.dryRun}"`);
  }
  return flags;
}

/** Finds the account's objects, deletes them step by step and says what it did. */
export async function runDelete(opts: DeleteOptions, deps: Deps): Promise<void> {
  const config = await loadContext(opts.connection, deps);
  const account = { name: opts.name, namespace: config.namespace };
  const clients = await connect(config, deps);
  const job: Job = { opts, account, clients, deps, done: [] };
  try {
    const survey = await surveyCluster(job);
    checkSurvey(job, survey);

    for (const keys of plan(job, survey)) await deleteStep(job, keys);
    reportKept(job, survey);
  } catch (err) {
    throw withState(err, job.done);
  } finally {
    clients.close();
  }
}

/**
 * Lists everything labelled for the account, all at once. Nothing is
 * deleted unless every list worked: cluster-scoped grants are not skipped
 * when they cannot be listed, since one left behind would hold again for
 * any new account of the same name.
 */
async function surveyCluster(job: Job): Promise<Survey> {
  const { clients, account } = job;
  const selector = accountSelector(account);
  const inNamespace = (kind: 'RoleBinding' | 'Role' | 'Secret') =>
    listManaged(clients, kind, selector, account.namespace);
  // Settled at once, so a failure here is looked at only once the namespaced
  // lists worked: a server that is down is reported as such.
  const clusterScoped = Promise.allSettled([
    listManaged(clients, 'ClusterRoleBinding', selector, ''),
    listManaged(clients, 'ClusterRole', selector, ''),
  ]);
  const [namespaced, serviceAccount, ownNamespace] = await Promise.all([
    Promise.all([inNamespace('RoleBinding'), inNamespace('Role'), inNamespace('Secret')]),
    readObject(clients, { kind: 'ServiceAccount', ...account }),
    isOwnNamespace(job),
  ]);
  const cluster = (await clusterScoped).map((r) => {
    if (r.status === 'fulfilled') return r.value;
    throw clusterListFailed(job.account, r.reason);
  });
  const ownAccount = serviceAccount?.metadata?.labels?.[labelKeys.managedBy] === manager;
  const labelled = [...namespaced, ...cluster].flat().filter((k) => k.name);
  return { labelled, serviceAccount, ownAccount, ownNamespace };
}

function clusterListFailed(account: AccountRef, cause: unknown): UserError {
  return new UserError(
    `failed to delete serviceaccount "${account.namespace}/${account.name}": nothing was` +
      ' deleted, since its cluster-wide grants cannot be listed (one left behind would hold' +
      ` for any new account of that name): ${messageOf(cause)}`,
    { cause },
  );
}

/**
 * Only worth a request at -v 1, where the user is told the namespace stays;
 * a refusal to read it changes nothing else.
 */
async function isOwnNamespace(job: Job): Promise<boolean> {
  if (!job.deps.log.enabled(1)) return false;
  const name = job.account.namespace;
  try {
    const ns = await readObject(job.clients, { kind: 'Namespace', name });
    return ns?.metadata?.labels?.[labelKeys.managedBy] === manager;
  } catch (err) {
    job.deps.log.v(1, `not checking who made namespace "${name}": ${messageOf(err)}`);
    return false;
  }
}

/** Like kubectl deleting a missing object, finding nothing is an error. */
function checkSurvey(job: Job, survey: Survey): void {
  if (survey.labelled.length > 0 || survey.ownAccount) return;
  const { name, namespace } = job.account;
  const ref = `serviceaccount "${namespace}/${name}"`;
  if (survey.serviceAccount) {
    throw new UserError(
      `${ref} was not created by ${manager} and holds nothing it made, so nothing was deleted` +
        ` (to delete the account itself: kubectl delete serviceaccount ${name} -n ${namespace})`,
    );
  }
  throw new UserError(
    `no objects made by ${manager} for ${ref} were found` +
      ' (see the accounts it manages with "kubectl sa-kubeconfig list -A")',
  );
}

/** The objects to delete, one array per step, each sorted for stable output. */
function plan(job: Job, survey: Survey): ObjectKey[][] {
  const byKind = (kinds: Kind[]) =>
    survey.labelled
      .filter((k) => kinds.includes(k.kind))
      .sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || compare(a.name, b.name));
  const out = steps.map(byKind);
  if (survey.ownAccount) out.push([{ kind: 'ServiceAccount', ...job.account }]);
  return out.filter((keys) => keys.length > 0);
}

/**
 * Deletes one step's objects concurrently. Every deletion is waited for, so
 * the status lines (in plan order) and a failure show the whole step.
 */
async function deleteStep(job: Job, keys: ObjectKey[]): Promise<void> {
  const results = await Promise.allSettled(keys.map((key) => remove(job, key)));
  const failures: unknown[] = [];
  results.forEach((result, i) => {
    if (result.status === 'rejected') failures.push(result.reason);
    else report(job, keys[i], result.value);
  });
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new UserError(failures.map(messageOf).join('\n'), { cause: failures[0] });
  }
}

async function remove(job: Job, key: ObjectKey): Promise<boolean> {
  const { dryRun } = job.opts;
  if (dryRun === 'client') return true;
  return deleteObject(job.clients, key, { dryRun: dryRun === 'server' });
}

function report(job: Job, key: ObjectKey, deleted: boolean): void {
  const what = describeObject(key.kind, key.name);
  if (!deleted) {
    job.deps.log.v(1, `${what} was already gone`);
    return;
  }
  const line = `${what} deleted${dryRunSuffix[job.opts.dryRun]}`;
  if (job.opts.dryRun === 'none') job.done.push(line);
  job.deps.log.status(line);
}

function reportKept(job: Job, survey: Survey): void {
  const { name, namespace } = job.account;
  if (survey.serviceAccount && !survey.ownAccount) {
    const what = describeObject('ServiceAccount', name);
    job.deps.log.status(`${what} kept (this tool did not create it)`);
  }
  if (!survey.serviceAccount) {
    job.deps.log.v(1, `serviceaccount "${namespace}/${name}" does not exist`);
  }
  if (survey.ownNamespace) {
    job.deps.log.v(
      1,
      `${describeObject('Namespace', namespace)} kept (made by --create-namespace, but it may` +
        ` hold other objects: kubectl delete namespace ${namespace} removes it)`,
    );
  }
}

function withState(err: unknown, done: string[]): unknown {
  if (done.length === 0 || !(err instanceof Error)) return err;
  return new PartialFailureError(messageOf(err), [...done], { cause: err });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
