/**
 * The command table: every command, flag, help text and example. Parsing
 * only; main.ts runs what it returns.
 *
 * Flags follow pflag, as kubectl users expect: a repeated scalar flag takes
 * its last value, lists repeat (--clusterrole a --clusterrole b), and
 * unknown flags are errors. kubectl forwards none of its global flags to a
 * plugin, so all of them are declared here.
 */
import yargs, { type Argv, type Options } from 'yargs';

import type { CreateFlags } from './commands/create.js';
import type { DeleteOptions } from './commands/delete.js';
import type { ListOptions } from './commands/list.js';
import type { RotateFlags } from './commands/rotate.js';
import { parseDryRun } from './commands/writer.js';
import type { CompletionTable, FlagInfo } from './completion.js';
import { UsageError } from './errors.js';
import type { ConnectionFlags } from './kubeconfig/types.js';
import pkg from '../package.json' with { type: 'json' };

/** What the command line asks for. */
export type Invocation =
  | { command: 'create'; flags: CreateFlags; verbosity: number }
  | { command: 'rotate'; flags: RotateFlags; verbosity: number }
  | { command: 'delete'; flags: DeleteOptions; verbosity: number }
  | { command: 'list'; flags: ListOptions; verbosity: number }
  | { command: 'complete'; words: string[] }
  | { command: 'print'; text: string };

/** The program name shown in help, as kubectl runs it. */
export const programName = 'kubectl sa-kubeconfig';

const createLong = `
Create a ServiceAccount for automation, grant it access, request a token for
it (TokenRequest API) and print a kubeconfig that holds only that token and
the cluster of your current kubectl context.

Everything it creates is labelled app.kubernetes.io/managed-by=kubectl-sa-kubeconfig
and is reconciled: a second run with the same flags changes nothing, and a run
with other access flags updates the grants and removes those no longer asked for.
A run with no access flag keeps the grants the account already has.

The token lives as long as --duration, or the server's default (often 1h);
servers may cap it, and the tool warns when they do. Anyone holding the file
holds the account's access until the token expires: store it as a secret.`.trim();

/** Examples in kubectl's shape: an intent line, then the command, simplest first. */
const createExamples = examples([
  ['Print a kubeconfig for ServiceAccount "jenkins" of the current namespace', 'jenkins'],
  [
    'Let "jenkins" edit namespace "automation" for 24h; write the kubeconfig to a 0600 file',
    'jenkins -n automation --create-namespace --clusterrole edit --duration 24h \\\n' +
      '      --output-file jenkins.kubeconfig',
  ],
  [
    'Create a Role with these rules and bind it',
    'deployer --verb get,list,patch --resource deployments.apps,pods/log',
  ],
  ['Grant read access to every namespace', 'reader --clusterrole view --cluster-wide'],
  [
    'Review the manifests it would apply, without writing anything',
    'ci --clusterrole view --dry-run=client',
  ],
  [
    'Let the API server check the plan (RBAC included), without writing',
    'ci --clusterrole view --dry-run=server',
  ],
  ['Issue a token that deleting its Secret revokes', 'ci --revocable --output-file ci.kubeconfig'],
  [
    'Issue a token that never expires (legacy Secret)',
    'ci --legacy-token --output-file ci.kubeconfig',
  ],
  ['Use another context and print JSON', 'ci --context prod -o json'],
]);

const rotateLong = `
Issue a fresh token for an account this tool created, with the token settings
that create recorded on it (flags override them), and rewrite the kubeconfig.
With revocable or legacy tokens, the old tokens' Secrets are deleted once the
new kubeconfig is verified, so exactly one token stays valid.`.trim();

const rotateExamples = examples([
  ['Replace the token in ci.kubeconfig before it expires', 'rotate ci --output-file ci.kubeconfig'],
  [
    'Switch to revocable tokens and revoke the old ones',
    'rotate ci --revocable --output-file ci.kubeconfig',
  ],
]);

const deleteLong = `
Delete the bindings, roles, token Secrets and ServiceAccount that this tool
created for an account, found by their labels. An account it only reused, and
a namespace it created, are kept.`.trim();

const deleteExamples = examples([
  ['Delete what was created for "ci" in the current namespace', 'delete ci'],
  ['Show what would be deleted', 'delete ci -n automation --dry-run=client'],
]);

const listLong = `
List the accounts this tool manages, with their grants, token kind and the
expiry of the newest token where the cluster records it (revocable tokens).`.trim();

const listExamples = examples([
  ['List the accounts of the current namespace', 'list'],
  ['List every namespace, with Secrets and creation times', 'list -A -o wide'],
  ['Print them as YAML', 'list -A -o yaml'],
]);

function examples(pairs: [string, string][]): string {
  const lines = pairs.map(([intent, args]) => `  # ${intent}\n  ${programName} ${args}`);
  return `Examples:\n${lines.join('\n\n')}`;
}

const connectionOptions: Record<string, Options> = {
  kubeconfig: { type: 'string', describe: 'Path to the kubeconfig file to use (no merging).' },
  context: { type: 'string', describe: 'The kubeconfig context to use.' },
  cluster: { type: 'string', describe: 'The kubeconfig cluster to use.' },
  user: { type: 'string', describe: 'The kubeconfig user to use.' },
  namespace: {
    alias: 'n',
    type: 'string',
    describe: "Namespace to work in. Default: the context's, else default.",
  },
  server: { alias: 's', type: 'string', describe: 'The address of the Kubernetes API server.' },
  token: { type: 'string', describe: 'Bearer token for authentication to the API server.' },
  'certificate-authority': { type: 'string', describe: 'Path to a cert file for the CA.' },
  'client-certificate': { type: 'string', describe: 'Path to a client certificate file.' },
  'client-key': { type: 'string', describe: 'Path to a client key file.' },
  'insecure-skip-tls-verify': {
    type: 'boolean',
    describe: "Don't verify the server certificate (insecure; kept in output).",
  },
  'tls-server-name': { type: 'string', describe: 'Server name to use for certificate checks.' },
  username: { type: 'string', describe: 'Username for basic authentication.' },
  password: { type: 'string', describe: 'Password for basic authentication.' },
  as: { type: 'string', describe: 'Username to impersonate for the operation.' },
  'as-group': { type: 'string', array: true, describe: 'Group to impersonate; repeatable.' },
  'as-uid': { type: 'string', describe: 'UID to impersonate for the operation.' },
  'request-timeout': {
    type: 'string',
    describe: 'Wait per request: 0 (no limit, the default), 30s, 1m.',
  },
  'disable-compression': { type: 'boolean', describe: 'Accepted for kubectl parity.' },
  'cache-dir': { type: 'string', describe: 'Accepted for kubectl parity; unused.' },
  v: {
    type: 'number',
    default: 0,
    describe: 'Log level: 1 decisions, 2 objects, 4 detail, 6 HTTP, 8 bodies.',
  },
};

const accessOptions: Record<string, Options> = {
  clusterrole: {
    type: 'string',
    array: true,
    describe: 'Bind this ClusterRole (view, edit...) in the namespace; repeatable.',
  },
  role: {
    type: 'string',
    array: true,
    describe: 'Bind this existing Role of the namespace; repeatable.',
  },
  verb: {
    type: 'string',
    array: true,
    describe: 'With --resource: make and bind a Role with these verbs (get,list).',
  },
  resource: {
    type: 'string',
    array: true,
    describe: 'With --verb: its resources, as kubectl create role takes them.',
  },
  'resource-name': {
    type: 'string',
    array: true,
    describe: 'Limit that rule to these object names; repeatable.',
  },
  'cluster-wide': {
    type: 'boolean',
    default: false,
    describe: 'Grant --clusterrole and --verb rules in every namespace.',
  },
  'create-namespace': {
    type: 'boolean',
    default: false,
    describe: 'Create the namespace if it does not exist.',
  },
};

const tokenOptions: Record<string, Options> = {
  duration: {
    type: 'string',
    describe: "Token lifetime (30m, 24h, 3600h), at least 10m. Default: server's.",
  },
  audience: { type: 'string', array: true, describe: 'Audience of the token; repeatable.' },
  revocable: {
    type: 'boolean',
    describe: 'Bind the token to a new Secret: deleting it revokes the token.',
  },
  'legacy-token': {
    type: 'boolean',
    describe: 'Legacy Secret token, never expires. Not with --duration, --revocable.',
  },
  verify: {
    type: 'boolean',
    describe: 'Check the new kubeconfig. Default: on with --output-file.',
  },
};

const dryRunOption: Record<string, Options> = {
  'dry-run': {
    type: 'string',
    describe: 'none, client (print manifests; bare --dry-run) or server.',
  },
};

const deleteDryRunOption: Record<string, Options> = {
  'dry-run': {
    type: 'string',
    describe: 'none, client (bare --dry-run: list only) or server (API checks).',
  },
};

const outputOptions: Record<string, Options> = {
  output: { alias: 'o', type: 'string', default: 'yaml', describe: 'Output format: yaml or json.' },
  'output-file': {
    type: 'string',
    describe: 'Write the kubeconfig to this file (mode 0600), not stdout.',
  },
  force: {
    type: 'boolean',
    default: false,
    describe: 'With --output-file: replace an existing file.',
  },
  'cluster-name': {
    type: 'string',
    describe: 'Cluster entry name. Default: sa-kubeconfig@CLUSTER.',
  },
  'user-name': { type: 'string', describe: 'User entry name. Default: NAMESPACE/NAME@CLUSTER.' },
  'context-name': { type: 'string', describe: 'Context name. Default: NAMESPACE/NAME@CLUSTER.' },
};

/** Parses argv (without node and script) into an invocation. */
export function parseCommandLine(argv: string[]): Invocation {
  if (argv[0] === '__complete') return { command: 'complete', words: argv.slice(1) };
  let result: Invocation | undefined;
  const parser = buildParser((r) => (result = r));
  let failure: string | undefined;
  let printed = '';
  parser.parse(normalizeArgs(argv), {}, (err, args, output) => {
    if (err) failure = err.message;
    printed = output;
    // Words after "--" land in _ unchecked; the commands take none.
    const extra = (args?._ ?? []).map(String).filter((w) => !commandNames.has(w));
    if (!err && extra.length > 0) failure = `Unknown argument: ${extra.join(', ')}`;
  });
  if (failure !== undefined) throw new UsageError(rewordFailure(failure, argv));
  if (result) return result;
  return { command: 'print', text: printed.endsWith('\n') ? printed : `${printed}\n` };
}

/** The command table as shell completion needs it. */
export const completionTable: CompletionTable = {
  commands: [
    { name: 'create', describe: 'Create a ServiceAccount with access and print its kubeconfig' },
    { name: 'rotate', describe: 'Issue a fresh token for a managed account' },
    { name: 'delete', describe: 'Delete what this tool created for an account' },
    { name: 'list', describe: 'List the accounts this tool manages' },
  ],
  flags: (command) => {
    const own: Record<string, Record<string, Options>> = {
      create: { ...accessOptions, ...tokenOptions, ...outputOptions, ...dryRunOption },
      rotate: { ...tokenOptions, ...outputOptions },
      delete: deleteDryRunOption,
      list: listOptions,
    };
    return Object.entries({ ...connectionOptions, ...own[command] }).map(([name, o]) => ({
      name,
      alias: typeof o.alias === 'string' ? o.alias : undefined,
      describe: o.describe ?? '',
      takesValue: o.type !== 'boolean',
    }));
  },
};

function buildParser(done: (r: Invocation) => void): Argv {
  return (
    yargs([])
      .scriptName(programName)
      .usage('$0 [create] NAME [flags]')
      // No camelCase twins (--outputFile) and no --no-x negation: kubectl has neither.
      .parserConfiguration({
        'greedy-arrays': false,
        'strip-aliased': true,
        'camel-case-expansion': false,
        'boolean-negation': false,
      })
      .options(withLastValue(connectionOptions))
      .group(Object.keys(connectionOptions), 'Kubectl flags:')
      .command(
        ['create <name>', '$0 <name>'],
        'Create a ServiceAccount with access and print its kubeconfig',
        (y) => describeCreate(y).epilogue(`${createLong}\n\n${createExamples}`),
        (args) => done(toCreate(args)),
      )
      .command(
        'rotate <name>',
        'Issue a fresh token for a managed account',
        (y) => describeRotate(y).epilogue(`${rotateLong}\n\n${rotateExamples}`),
        (args) => done(toRotate(args)),
      )
      .command(
        'delete <name>',
        'Delete what this tool created for an account',
        (y) =>
          y
            .options(withLastValue(deleteDryRunOption))
            .group(['dry-run'], 'Delete:')
            .epilogue(`${deleteLong}\n\n${deleteExamples}`),
        (args) => done(toDelete(args)),
      )
      .command(
        'list',
        'List the accounts this tool manages',
        (y) => describeList(y).epilogue(`${listLong}\n\n${listExamples}`),
        (args) => done(toList(args)),
      )
      .version(pkg.version)
      .help()
      .alias('help', 'h')
      .strict()
      .wrap(100)
      .exitProcess(false)
  );
}

function describeCreate(y: Argv): Argv {
  const output = { ...outputOptions, ...dryRunOption };
  return y
    .positional('name', { type: 'string', describe: 'Name of the ServiceAccount' })
    .options(withLastValue({ ...accessOptions, ...tokenOptions, ...output }))
    .group(Object.keys(accessOptions), 'Access:')
    .group(Object.keys(tokenOptions), 'Token:')
    .group(Object.keys(output), 'Output:');
}

function describeRotate(y: Argv): Argv {
  const output = outputOptions;
  return y
    .positional('name', { type: 'string', describe: 'Name of the ServiceAccount' })
    .options(withLastValue({ ...tokenOptions, ...output }))
    .group(Object.keys(tokenOptions), 'Token (default: as create recorded):')
    .group(Object.keys(output), 'Output:');
}

const listOptions: Record<string, Options> = {
  'all-namespaces': {
    alias: 'A',
    type: 'boolean',
    default: false,
    describe: 'List every namespace.',
  },
  output: { alias: 'o', type: 'string', default: 'table', describe: 'table, wide, json or yaml.' },
};

function describeList(y: Argv): Argv {
  return y.options(withLastValue(listOptions)).group(Object.keys(listOptions), 'List:');
}

type Args = Record<string, unknown>;

function toCreate(a: Args): Invocation {
  const flags: CreateFlags = {
    name: str(a.name) ?? '',
    connection: toConnection(a),
    clusterRoles: list(a.clusterrole),
    roles: list(a.role),
    verbs: list(a.verb),
    resources: list(a.resource),
    resourceNames: list(a['resource-name']),
    clusterWide: a['cluster-wide'] === true,
    createNamespace: a['create-namespace'] === true,
    ...toTokenAndOutput(a),
    dryRun: str(a['dry-run']),
  };
  return { command: 'create', flags, verbosity: verbosityOf(a) };
}

function toRotate(a: Args): Invocation {
  const flags: RotateFlags = {
    name: str(a.name) ?? '',
    connection: toConnection(a),
    ...toTokenAndOutput(a),
  };
  return { command: 'rotate', flags, verbosity: verbosityOf(a) };
}

/** The token and output flags that create and rotate share. */
function toTokenAndOutput(a: Args) {
  return {
    duration: str(a.duration),
    audiences: list(a.audience),
    revocable: bool(a.revocable),
    legacyToken: bool(a['legacy-token']),
    verify: bool(a.verify),
    output: str(a.output) ?? 'yaml',
    outputFile: str(a['output-file']),
    force: a.force === true,
    clusterName: str(a['cluster-name']),
    userName: str(a['user-name']),
    contextName: str(a['context-name']),
  };
}

function toDelete(a: Args): Invocation {
  const dryRun = parseDryRun(str(a['dry-run']));
  if (!dryRun)
    throw new UsageError(`--dry-run must be none, client or server, not "${String(a['dry-run'])}"`);
  const flags: DeleteOptions = { name: str(a.name) ?? '', connection: toConnection(a), dryRun };
  return { command: 'delete', flags, verbosity: verbosityOf(a) };
}

function toList(a: Args): Invocation {
  const flags: ListOptions = {
    connection: toConnection(a),
    allNamespaces: a['all-namespaces'] === true,
    output: str(a.output) ?? 'table',
  };
  return { command: 'list', flags, verbosity: verbosityOf(a) };
}

function toConnection(a: Args): ConnectionFlags {
  return {
    kubeconfig: str(a.kubeconfig),
    context: str(a.context),
    cluster: str(a.cluster),
    user: str(a.user),
    namespace: str(a.namespace),
    server: str(a.server),
    token: str(a.token),
    certificateAuthority: str(a['certificate-authority']),
    clientCertificate: str(a['client-certificate']),
    clientKey: str(a['client-key']),
    insecureSkipTlsVerify: bool(a['insecure-skip-tls-verify']),
    tlsServerName: str(a['tls-server-name']),
    username: str(a.username),
    password: str(a.password),
    as: str(a.as),
    asGroups: list(a['as-group']),
    asUid: str(a['as-uid']),
    requestTimeout: str(a['request-timeout']),
    disableCompression: bool(a['disable-compression']),
  };
}

function verbosityOf(a: Args): number {
  const v = a.v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new UsageError(`invalid -v "${String(a.v)}": it takes a whole number such as 6`);
  }
  return v;
}

/** pflag: a scalar flag given twice keeps the last value. */
function withLastValue(options: Record<string, Options>): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const [name, option] of Object.entries(options)) {
    out[name] = option.array ? option : { ...option, coerce: lastValue };
  }
  return out;
}

function lastValue(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/**
 * Rewrites argv into forms yargs reads as pflag would, so that yargs never
 * guesses: every value-taking flag becomes --name=value (pflag takes the
 * next word as the value even when it starts with "-", as in --duration
 * -1h), "-nfoo" is -n foo, booleans take pflag's ParseBool values only, a
 * bare --dry-run means client (pflag's NoOptDefVal), and after "--" every
 * word is an argument.
 */
function normalizeArgs(argv: string[]): string[] {
  const flags = flagsByName(commandOf(argv));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const parsed = splitFlag(arg);
    const flag = parsed && flags.get(parsed.name);
    if (!parsed || !flag) {
      out.push(arg);
      continue;
    }
    if (!flag.takesValue) {
      out.push(booleanFlag(flag.name, parsed));
      continue;
    }
    let value = parsed.value;
    if (value === undefined && flag.name === 'dry-run' && parsed.long) value = 'client';
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${arg}`);
      value = argv[++i];
    }
    out.push(`--${flag.name}=${checkValue(flag.name, value)}`);
  }
  return out;
}

/** "--name", "--name=v", "-n", "-nv", "-n=v"; undefined for words and "-". */
function splitFlag(arg: string): { name: string; value?: string; long: boolean } | undefined {
  const long = /^--([^=]+)(?:=([\s\S]*))?$/.exec(arg);
  if (long) return { name: long[1], value: long[2], long: true };
  const short = /^-([^-])=?([\s\S]*)$/.exec(arg);
  if (!short) return undefined;
  return { name: short[1], value: short[2] === '' ? undefined : short[2], long: false };
}

/** pflag's ParseBool: 1, t, T, true, TRUE, True and their false forms. */
function booleanFlag(name: string, parsed: { value?: string }): string {
  if (parsed.value === undefined) return `--${name}`;
  if (/^(1|t|T|true|TRUE|True)$/.test(parsed.value)) return `--${name}=true`;
  if (/^(0|f|F|false|FALSE|False)$/.test(parsed.value)) return `--${name}=false`;
  throw new UsageError(`invalid argument "${parsed.value}" for --${name}: use true or false`);
}

function checkValue(name: string, value: string): string {
  if (name === 'v' && !/^\d+$/.test(value)) {
    throw new UsageError(`invalid argument "${value}" for -v: it takes a whole number such as 6`);
  }
  return value;
}

const commandNames = new Set(['create', 'rotate', 'delete', 'list']);

function commandOf(argv: string[]): string {
  const words = argv.filter((a) => !a.startsWith('-'));
  return completionTable.commands.find((c) => c.name === words[0])?.name ?? 'create';
}

function flagsByName(command: string): Map<string, FlagInfo> {
  const flags = new Map<string, FlagInfo>();
  for (const f of completionTable.flags(command)) {
    flags.set(f.name, f);
    if (f.alias) flags.set(f.alias, f);
  }
  return flags;
}

function rewordFailure(message: string, argv: string[]): string {
  if (/Not enough non-option arguments/.test(message)) {
    // yargs checks the argument count before unknown flags; a typo in a
    // flag is the likelier cause, so name it first.
    const unknown = unknownFlag(argv);
    return unknown ? `unknown flag: ${asTyped(unknown, argv)}` : 'NAME is required';
  }
  const unknown = /Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    const words = unknown[1].split(', ').map((w) => asTyped(w, argv));
    return `unknown flag or extra argument: ${words.join(', ')}`;
  }
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** yargs names a flag without its dashes: show it as the user typed it. */
function asTyped(name: string, argv: string[]): string {
  const typed = argv.find((a) => a.replace(/^--?/, '').split('=')[0] === name && a.startsWith('-'));
  return typed ? typed.split('=')[0] : name;
}

function unknownFlag(argv: string[]): string | undefined {
  const command = completionTable.commands.find((c) => argv.includes(c.name))?.name ?? 'create';
  const known = new Set(['help', 'h', 'version']);
  for (const f of completionTable.flags(command)) {
    known.add(f.name);
    if (f.alias) known.add(f.alias);
  }
  // "-nfoo" is -n with a value: of a short flag only the letter counts.
  const names = argv
    .filter((a) => a.startsWith('-') && a !== '--')
    .map((a) => (a.startsWith('--') ? a.slice(2).replace(/^no-/, '') : a.slice(1, 2)));
  return names.map((n) => n.split('=')[0]).find((n) => !known.has(n));
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
