/**
 * Choosing the context, cluster, user and namespace, and applying kubectl's
 * global flags on top, as client-go's DirectClientConfig does
 * (tools/clientcmd/client_config.go):
 *
 * - context: --context, else current-context. With neither, kubectl still
 *   works when --server or --cluster says where to go.
 * - cluster: --cluster, else the context's; user: --user, else the
 *   context's. The three names are independent of each other.
 * - namespace: -n, else the context's, else "default".
 * - flags replace single fields of the chosen stanzas; --insecure-skip-
 *   tls-verify drops the kubeconfig's CA, --certificate-authority drops its
 *   CA data and insecure setting, and --server drops its tls-server-name.
 * - files named by the cluster and user (CA, client certificate and key)
 *   are read here, so that errors name them before any request is made.
 *
 * Where kubectl would quietly fall back to http://localhost:8080 or prompt
 * for a password, this module stops with an error that says what to fix.
 */
import { parseGoDuration } from '../duration.js';
import { UsageError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { Fields, invalidField, quote } from './fields.js';
import { readReferencedFile } from './files.js';
import { HOME_KUBECONFIG, KUBECONFIG_ENV, type MergedKubeconfig, type Stanza } from './load.js';
import { checkCertificates, checkKeyPair } from './pem.js';
import type {
  ConnectionFlags,
  ExecConfig,
  Impersonation,
  ResolvedCluster,
  ResolvedConfig,
  ResolvedUser,
} from './types.js';

/** The cluster extension that client-go hands to exec plugins. */
export const EXEC_EXTENSION = 'client.authentication.k8s.io/exec';

/** The exec plugin API version that requires interactiveMode. */
const EXEC_V1 = 'client.authentication.k8s.io/v1';

const INTERACTIVE_MODES = ['Never', 'IfAvailable', 'Always'] as const;

/** The context as chosen, before its cluster and user are looked up. */
interface ChosenContext {
  /** Empty when no context is used (--server or --cluster alone). */
  name: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  /** The file and field path of namespace, for errors. */
  namespaceField?: { file: string; path: string };
}

/** Applies kubectl's context rules and global flags to the merged kubeconfig. */
export function resolveConfig(
  merged: MergedKubeconfig,
  flags: ConnectionFlags,
  log: Logger,
): ResolvedConfig {
  const requestTimeoutMs = parseRequestTimeout(flags.requestTimeout);
  if (merged.files.length === 0 && !set(flags.server)) throw noKubeconfig(merged);

  const context = chooseContext(merged, flags, log);
  const namespace = set(flags.namespace) ?? contextNamespace(context) ?? 'default';
  const cluster = resolveCluster(merged, flags, context);
  const user = resolveUser(merged, flags, context);
  warnShadowedToken(flags, user, log);
  cluster.server = normalizeServer(cluster, user);
  if (user.exec) user.exec.clusterExtension = clusterExtension(merged, cluster.name);

  for (const secret of [user.token, user.password, user.clientKeyPem]) log.addSecret(secret);
  log.v(4, () => describeConnection(cluster, user));
  return {
    files: merged.files,
    contextName: context.name,
    namespace,
    cluster,
    user,
    requestTimeoutMs,
  };
}

/** kubectl's --request-timeout: "0" none, whole seconds, or a Go duration. */
export function parseRequestTimeout(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  const ms = /^\+?\d+$/.test(text) ? Number(text) * 1000 : durationMs(text);
  // kubectl takes "-5s" and then waits forever; refusing it is clearer.
  if (!(ms >= 0)) {
    throw new UsageError(
      `invalid --request-timeout ${quote(text)}: use 0 (no timeout), whole seconds such as 30, ` +
        'or a duration such as 5s, 1m or 1h30m',
    );
  }
  // Node's timers hold at most 2^31-1 ms (24.8 days); a longer delay fires
  // after 1 ms, so every request would time out at once. kubectl takes any
  // Go duration, but reading "597h" as 1 ms, or quietly as no timeout,
  // would hide what happened: refuse it, and say what the limit is.
  if (ms > MAX_TIMEOUT_MS) {
    throw new UsageError(
      `invalid --request-timeout ${quote(text)}: the longest timeout is 596h31m23s ` +
        `(${MAX_TIMEOUT_MS} ms); use 0 for no timeout`,
    );
  }
  return ms;
}

/** The longest delay a Node timer can wait, in ms. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A Go duration in ms, or NaN when it is not one. */
function durationMs(text: string): number {
  try {
    return parseGoDuration(text);
  } catch {
    return Number.NaN;
  }
}

/** An empty flag or field counts as unset, as in client-go. */
function set(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/** The error when no kubeconfig file exists and --server is not given. */
function noKubeconfig(merged: MergedKubeconfig): UserError {
  const hint = '(pass --kubeconfig FILE, set KUBECONFIG, or give --server)';
  // client-go drops empty entries but still reads no ~/.kube/config.
  if (merged.source === 'env' && merged.searched.length === 0) {
    return new UserError(
      `no kubeconfig found: ${KUBECONFIG_ENV} is set but names no file, so kubectl reads ` +
        `none either (name a file in it, unset it to use ~/${HOME_KUBECONFIG.join('/')}, ` +
        'pass --kubeconfig FILE, or give --server)',
    );
  }
  if (merged.source === 'env') {
    return new UserError(
      `no kubeconfig found: none of the files in ${KUBECONFIG_ENV} exists ` +
        `(${quoteAll(merged.searched)}) ${hint}`,
    );
  }
  if (merged.searched.length === 0) {
    return new UserError(
      `no kubeconfig found: HOME is not set, so there is no ~/${HOME_KUBECONFIG.join('/')} ${hint}`,
    );
  }
  return new UserError(`no kubeconfig found at ${quoteAll(merged.searched)} ${hint}`);
}

/** --context, else current-context; with neither, --server or --cluster must say where. */
function chooseContext(
  merged: MergedKubeconfig,
  flags: ConnectionFlags,
  log: Logger,
): ChosenContext {
  const wanted = set(flags.context);
  if (wanted) {
    const stanza = merged.contexts.get(wanted);
    if (!stanza) {
      throw new UserError(
        `context ${quote(wanted)} does not exist (${listing(merged, 'contexts')})`,
      );
    }
    return readContext(stanza);
  }
  const current = merged.currentContext;
  if (current) {
    const stanza = merged.contexts.get(current.name);
    if (!stanza) {
      throw new UserError(
        `current-context ${quote(current.name)} (set in ${quote(current.file)}) does not exist ` +
          `(pass --context NAME; ${listing(merged, 'contexts')})`,
      );
    }
    return readContext(stanza);
  }
  if (set(flags.server) || set(flags.cluster)) {
    log.v(1, 'kubeconfig: no context chosen; using --server/--cluster alone');
    return { name: '' };
  }
  throw noContext(merged);
}

function noContext(merged: MergedKubeconfig): UserError {
  if (merged.contexts.size === 0) {
    return new UserError(
      `no context chosen: the kubeconfig (${quoteAll(merged.files)}) defines no contexts ` +
        '(add one with kubectl config set-context, or pass --server)',
    );
  }
  return new UserError(
    'no context chosen: the kubeconfig sets no current-context ' +
      '(pass --context NAME or run kubectl config use-context NAME; ' +
      `${listing(merged, 'contexts')})`,
  );
}

function readContext(stanza: Stanza): ChosenContext {
  const fields = stanzaFields(stanza, 'context');
  return {
    name: stanza.name,
    cluster: fields.string('cluster'),
    user: fields.string('user'),
    namespace: fields.string('namespace'),
    namespaceField: { file: fields.file, path: fields.at('namespace') },
  };
}

/** A namespace name: a DNS-1123 label, as the API server requires. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The context's namespace, checked only when it is used (no -n). kubectl
 * checks it no further than as a URL path segment (no "/", "%", "." or
 * ".."), when it builds a request, and sends "Bad_NS" on for the server to
 * refuse; we refuse any name the server would, before any request, and
 * never put a "/" of the file into a request path. The commands check -n
 * (names.ts).
 */
function contextNamespace(context: ChosenContext): string | undefined {
  const namespace = context.namespace;
  if (namespace === undefined || !context.namespaceField) return namespace;
  if (namespace.length <= 63 && NAMESPACE_NAME.test(namespace)) return namespace;
  const { file, path } = context.namespaceField;
  throw invalidField(
    file,
    path,
    `of context ${quote(context.name)} is ${quote(namespace)}, not a namespace name ` +
      '(a DNS-1123 label: at most 63 lowercase letters, digits and "-", starting and ' +
      'ending with a letter or digit; fix the context, or pass -n NAMESPACE)',
  );
}

/** The checked body of a stanza; a name listed twice in its file is refused, like kubectl. */
function stanzaFields(stanza: Stanza, key: 'cluster' | 'user' | 'context'): Fields {
  if (stanza.duplicatePath) {
    throw invalidField(
      stanza.file,
      `${stanza.path} and ${stanza.duplicatePath}`,
      `both define ${key} ${quote(stanza.name)} (keep one)`,
    );
  }
  return Fields.of(stanza.file, `${stanza.path}.${key}`, stanza.body);
}

/** Looks a cluster or user up by name; an unknown name is an error. */
function lookUp(
  merged: MergedKubeconfig,
  kind: 'clusters' | 'users',
  name: string,
  fromFlag: boolean,
  context: ChosenContext,
): Stanza {
  const stanza = merged[kind].get(name);
  if (stanza) return stanza;
  const noun = kind === 'clusters' ? 'cluster' : 'user';
  const origin = fromFlag ? '' : ` (named by context ${quote(context.name)})`;
  throw new UserError(`${noun} ${quote(name)}${origin} does not exist (${listing(merged, kind)})`);
}

/** The cluster stanza to use, if any. */
function findCluster(
  merged: MergedKubeconfig,
  flags: ConnectionFlags,
  context: ChosenContext,
  name: string,
): Stanza | undefined {
  if (!name) return undefined;
  const fromFlag = set(flags.cluster) !== undefined;
  // kubectl goes on when the context names an unknown cluster but --server says where.
  if (!fromFlag && set(flags.server) && !merged.clusters.has(name)) return undefined;
  return lookUp(merged, 'clusters', name, fromFlag, context);
}

/** Server, CA, SNI and proxy of the chosen cluster, with the flags on top. */
function resolveCluster(
  merged: MergedKubeconfig,
  flags: ConnectionFlags,
  context: ChosenContext,
): ResolvedCluster {
  const name = set(flags.cluster) ?? context.cluster ?? '';
  const stanza = findCluster(merged, flags, context, name);
  const fields = stanza ? stanzaFields(stanza, 'cluster') : Fields.of('', '', {});

  const server = set(flags.server) ?? fields.string('server');
  if (!server) {
    throw new UserError(
      name
        ? `cluster ${quote(name)} has no server (set server in it, or pass --server)`
        : `context ${quote(context.name)} names no cluster (pass --cluster or --server)`,
    );
  }
  const serverFromFlag = set(flags.server) !== undefined;
  return {
    name,
    server,
    ...certificateAuthority(name, fields, flags),
    tlsServerName:
      set(flags.tlsServerName) ?? (serverFromFlag ? undefined : fields.string('tls-server-name')),
    proxyUrl: proxyUrl(name, fields),
    disableCompression: flags.disableCompression === true || fields.bool('disable-compression'),
  };
}

/** CA and insecure setting, with client-go's rules for the two flags. */
function certificateAuthority(
  cluster: string,
  fields: Fields,
  flags: ConnectionFlags,
): Pick<
  ResolvedCluster,
  'certificateAuthorityPem' | 'certificateAuthoritySource' | 'insecureSkipTlsVerify'
> {
  const caFlag = set(flags.certificateAuthority);
  if (flags.insecureSkipTlsVerify === true || caFlag) {
    if (flags.insecureSkipTlsVerify === true && caFlag) {
      throw new UsageError(
        '--certificate-authority cannot be used with ' +
          '--insecure-skip-tls-verify (an unverified server needs no CA)',
      );
    }
    // Either flag replaces both the kubeconfig's CA and its insecure setting.
    if (!caFlag) return { insecureSkipTlsVerify: true };
    const pem = readCertificates(caFlag, `--certificate-authority ${quote(caFlag)}`);
    return {
      insecureSkipTlsVerify: false,
      certificateAuthorityPem: pem,
      certificateAuthoritySource: `--certificate-authority ${caFlag}`,
    };
  }

  const insecure = fields.bool('insecure-skip-tls-verify');
  const data = fields.base64('certificate-authority-data');
  const file = fields.string('certificate-authority');
  if (data !== undefined && file !== undefined) {
    throw invalidField(
      fields.file,
      fields.path,
      'sets both certificate-authority-data and certificate-authority (keep one)',
    );
  }
  if (insecure && (data !== undefined || file !== undefined)) {
    throw invalidField(
      fields.file,
      fields.path,
      'sets insecure-skip-tls-verify together ' +
        'with a certificate authority, which kubectl refuses (keep one)',
    );
  }
  if (data !== undefined) {
    checkCertificates(data, `certificate-authority-data of cluster ${quote(cluster)}`);
    return {
      insecureSkipTlsVerify: false,
      certificateAuthorityPem: data,
      certificateAuthoritySource: 'data',
    };
  }
  if (file !== undefined) {
    const pem = readCertificates(
      file,
      `certificate-authority ${quote(file)} of cluster ${quote(cluster)}`,
    );
    return {
      insecureSkipTlsVerify: false,
      certificateAuthorityPem: pem,
      certificateAuthoritySource: `file ${file}`,
    };
  }
  return { insecureSkipTlsVerify: insecure };
}

function readCertificates(file: string, what: string): string {
  const pem = readReferencedFile(file, what);
  checkCertificates(pem, what);
  return pem;
}

/** proxy-url, checked as client-go does: http, https or socks5 only. */
function proxyUrl(cluster: string, fields: Fields): string | undefined {
  const text = fields.string('proxy-url');
  if (text === undefined) return undefined;
  let scheme: string;
  try {
    scheme = new URL(text).protocol.replace(/:$/, '');
  } catch {
    throw new UserError(`invalid proxy-url ${quote(text)} of cluster ${quote(cluster)}: not a URL`);
  }
  if (!['http', 'https', 'socks5'].includes(scheme)) {
    throw new UserError(
      `invalid proxy-url ${quote(text)} of cluster ${quote(cluster)}: ` +
        `unsupported scheme ${quote(scheme)} (use http, https or socks5)`,
    );
  }
  return text;
}

/**
 * client-go's clean-up of the server URL: a URL with a path loses its query
 * and fragment, and a bare host:port gets https when TLS settings exist.
 */
function normalizeServer(cluster: ResolvedCluster, user: ResolvedUser): string {
  const tls =
    cluster.certificateAuthorityPem !== undefined ||
    cluster.insecureSkipTlsVerify ||
    user.clientCertificatePem !== undefined;
  const withScheme = cluster.server.includes('://')
    ? cluster.server
    : `${tls ? 'https' : 'http'}://${cluster.server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UserError(
      `invalid server ${quote(cluster.server)} of cluster ${quote(cluster.name)}: ` + 'not a URL',
    );
  }
  if (url.pathname.length > 1 && (url.search !== '' || url.hash !== '')) {
    return `${url.protocol}//${url.host}${url.pathname}`;
  }
  return withScheme;
}

/** The exec extension of the cluster, handed to plugins that ask for cluster info. */
function clusterExtension(merged: MergedKubeconfig, name: string): unknown {
  const stanza = name ? merged.clusters.get(name) : undefined;
  if (!stanza) return undefined;
  const found = stanzaFields(stanza, 'cluster')
    .mappings('extensions')
    .find((entry) => entry.string('name') === EXEC_EXTENSION);
  return found?.raw('extension');
}

/** Token, certificate, basic auth, exec and impersonation of the chosen user. */
function resolveUser(
  merged: MergedKubeconfig,
  flags: ConnectionFlags,
  context: ChosenContext,
): ResolvedUser {
  const name = set(flags.user) ?? context.user ?? '';
  const stanza = name
    ? lookUp(merged, 'users', name, set(flags.user) !== undefined, context)
    : undefined;
  const fields = stanza ? stanzaFields(stanza, 'user') : Fields.of('', '', {});

  const user: ResolvedUser = {
    name,
    token: set(flags.token) ?? fields.string('token'),
    tokenFile: fields.string('tokenFile'),
    username: set(flags.username) ?? fields.string('username'),
    password: set(flags.password) ?? fields.string('password'),
    ...clientCertificate(name, fields, flags),
    impersonate: impersonation(name, fields, flags),
  };
  const exec = fields.child('exec');
  if (exec) user.exec = readExec(exec);
  const provider = fields.child('auth-provider');
  if (provider) user.authProvider = provider.string('name') ?? 'unnamed';
  checkMethods(user, fields);
  return user;
}

/** Client certificate and key, from a flag (file) or the stanza (file or data). */
function clientCertificate(
  user: string,
  fields: Fields,
  flags: ConnectionFlags,
): Pick<ResolvedUser, 'clientCertificatePem' | 'clientKeyPem'> {
  const cert = pemSource(fields, flags.clientCertificate, 'client-certificate');
  if (!cert) return {};
  const key = pemSource(fields, flags.clientKey, 'client-key');
  if (!key) {
    throw new UserError(
      `user ${quote(user)} has a client certificate but no client key ` +
        '(set client-key or client-key-data, or pass --client-key)',
    );
  }
  const certPem =
    cert.data ??
    readReferencedFile(cert.file, `client-certificate ${quote(cert.file)} of user ${quote(user)}`);
  const keyPem =
    key.data ??
    readReferencedFile(key.file, `client-key ${quote(key.file)} of user ${quote(user)}`);
  checkKeyPair(`user ${quote(user)}`, certPem, keyPem);
  return { clientCertificatePem: certPem, clientKeyPem: keyPem };
}

/** A flag's file replaces the stanza's file and data; the stanza may not set both. */
function pemSource(
  fields: Fields,
  flag: string | undefined,
  field: 'client-certificate' | 'client-key',
): { file: string; data?: undefined } | { file?: undefined; data: string } | undefined {
  if (set(flag)) return { file: flag as string };
  const data = fields.base64(`${field}-data`);
  const file = fields.string(field);
  if (data !== undefined && file !== undefined) {
    throw invalidField(
      fields.file,
      fields.path,
      `sets both ${field}-data and ${field} ` + '(keep one)',
    );
  }
  if (data !== undefined) return { data };
  return file === undefined ? undefined : { file };
}

/** --as/--as-group/--as-uid over the stanza's as, as-groups, as-uid; extras from the stanza. */
function impersonation(
  user: string,
  fields: Fields,
  flags: ConnectionFlags,
): Impersonation | undefined {
  const groups = flags.asGroups?.filter((g) => g !== '') ?? [];
  const result: Impersonation = {
    user: set(flags.as) ?? fields.string('as'),
    groups: groups.length > 0 ? groups : fields.strings('as-groups'),
    uid: set(flags.asUid) ?? fields.string('as-uid'),
    extra: fields.stringLists('as-user-extra'),
  };
  const extras =
    result.groups.length > 0 || result.uid !== undefined || Object.keys(result.extra).length > 0;
  if (!result.user && extras) {
    throw new UserError(
      `impersonation for user ${quote(user)} sets groups, a uid or extras but ` +
        'no user to impersonate (pass --as, or set as in the user stanza)',
    );
  }
  return result.user ? result : undefined;
}

/** The exec stanza, checked like client-go's validateAuthInfo. */
function readExec(exec: Fields): ExecConfig {
  const apiVersion = exec.string('apiVersion');
  const command = exec.string('command');
  if (!command) throw invalidField(exec.file, exec.at('command'), 'must be set');
  if (!apiVersion) throw invalidField(exec.file, exec.at('apiVersion'), 'must be set');

  const env = exec.mappings('env').map((entry) => {
    const name = entry.string('name');
    if (!name) throw invalidField(entry.file, entry.at('name'), 'must be set');
    return { name, value: entry.string('value') ?? '' };
  });
  // v1 makes the mode mandatory; the older versions default to IfAvailable.
  const mode =
    exec.string('interactiveMode') ?? (apiVersion === EXEC_V1 ? undefined : 'IfAvailable');
  if (mode === undefined) {
    throw invalidField(
      exec.file,
      exec.at('interactiveMode'),
      `must be set with apiVersion ${EXEC_V1} (Never, IfAvailable or Always)`,
    );
  }
  if (!isInteractiveMode(mode)) {
    throw invalidField(
      exec.file,
      exec.at('interactiveMode'),
      `is ${quote(mode)}, expected Never, IfAvailable or Always`,
    );
  }
  return {
    apiVersion,
    command,
    args: exec.strings('args'),
    env,
    installHint: exec.string('installHint'),
    provideClusterInfo: exec.bool('provideClusterInfo'),
    interactiveMode: mode,
  };
}

function isInteractiveMode(mode: string): mode is ExecConfig['interactiveMode'] {
  return (INTERACTIVE_MODES as readonly string[]).includes(mode);
}

/** kubectl allows one of token and basic auth, and exec only without auth-provider. */
function checkMethods(user: ResolvedUser, fields: Fields): void {
  const hasToken = user.token !== undefined || user.tokenFile !== undefined;
  if (hasToken && (user.username !== undefined || user.password !== undefined)) {
    throw new UserError(
      `user ${quote(user.name)} has both a token and a username/password, ` +
        'and kubectl allows only one (remove one, or override with --token or --username)',
    );
  }
  if (user.exec && user.authProvider) {
    throw invalidField(fields.file, fields.path, 'sets both exec and auth-provider (keep one)');
  }
}

/**
 * kubectl quietly lets a readable tokenFile win over --token, and sends a
 * client certificate along with it (the API server then usually goes by
 * the certificate). We do the same, so say it.
 */
function warnShadowedToken(flags: ConnectionFlags, user: ResolvedUser, log: Logger): void {
  if (!set(flags.token)) return;
  if (user.tokenFile !== undefined) {
    log.warn(
      `user ${quote(user.name)} has a tokenFile, which kubectl uses instead of --token ` +
        'while the file can be read',
    );
  }
  if (user.clientCertificatePem !== undefined) {
    log.warn(
      `user ${quote(user.name)} has a client certificate, which kubectl sends along with ` +
        '--token; the API server usually authenticates the certificate',
    );
  }
}

/** -v 4: where the connection settings came from, without secrets. */
function describeConnection(cluster: ResolvedCluster, user: ResolvedUser): string {
  const auth = [
    user.token !== undefined && 'token',
    user.tokenFile !== undefined && `tokenFile ${user.tokenFile}`,
    user.clientCertificatePem !== undefined && 'client certificate',
    user.username !== undefined && 'basic auth',
    user.exec && `exec ${user.exec.command}`,
    user.authProvider && `auth-provider ${user.authProvider}`,
  ].filter(Boolean);
  return (
    `kubeconfig: server ${cluster.server}, CA ` +
    `${cluster.certificateAuthoritySource ?? 'system roots'}` +
    `${cluster.insecureSkipTlsVerify ? ' (insecure)' : ''}, auth ${auth.join(', ') || 'none'}`
  );
}

function quoteAll(items: string[]): string {
  return items.map((item) => quote(item)).join(', ');
}

/** "contexts: "a", "b"" sorted, cut after 20 names. */
function listing(merged: MergedKubeconfig, kind: 'contexts' | 'clusters' | 'users'): string {
  const names = [...merged[kind].keys()].sort();
  if (names.length === 0) return `no ${kind} are defined`;
  const shown = names.slice(0, 20);
  const more = names.length > shown.length ? ` and ${names.length - shown.length} more` : '';
  return `${kind}: ${quoteAll(shown)}${more}`;
}
