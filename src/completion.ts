/**
 * The hidden `__complete` command that kubectl's plugin completion runs
 * (completion/kubectl_complete-sa_kubeconfig). It answers in cobra's
 * format: one candidate per line, "value<TAB>description", then a line
 * ":<directive>".
 */
import { loadKubeconfig } from './kubeconfig/load.js';
import type { Logger } from './log.js';

/** cobra's ShellCompDirective values. */
const directive = { default: 0, noFileComp: 4 } as const;

/** A flag as completion sees it. */
export interface FlagInfo {
  name: string;
  alias?: string;
  describe: string;
  takesValue: boolean;
}

/** The commands and their flags, from the CLI table. */
export interface CompletionTable {
  commands: { name: string; describe: string }[];
  flags(command: string): FlagInfo[];
}

const fileFlags = new Set([
  'kubeconfig',
  'output-file',
  'certificate-authority',
  'client-certificate',
  'client-key',
  'cache-dir',
]);

/**
 * Candidates for the last of `words` (the words after the plugin name).
 * `env` is the environment, for the kubeconfig's context names.
 */
export async function complete(
  words: string[],
  table: CompletionTable,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<string> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const command = table.commands.find((c) => before.includes(c.name))?.name ?? 'create';
  const flags = table.flags(command);
  const previous = flagOf(before.at(-1), flags);
  if (previous?.takesValue && !before.at(-1)?.includes('=')) {
    return answer(
      await valuesFor(previous.name, before, env, log),
      current,
      fileFlags.has(previous.name),
    );
  }
  if (current.startsWith('-')) {
    const names = flags.flatMap((f) => {
      const long: [string, string] = [`--${f.name}`, f.describe];
      return f.alias ? [long, [`-${f.alias}`, f.describe] as [string, string]] : [long];
    });
    return answer(names, current, false);
  }
  const positionals = before.filter((w) => !w.startsWith('-'));
  if (positionals.length === 0)
    return answer(
      table.commands.map((c) => [c.name, c.describe]),
      current,
      false,
    );
  return answer([], current, false);
}

function flagOf(word: string | undefined, flags: FlagInfo[]): FlagInfo | undefined {
  if (!word?.startsWith('-')) return undefined;
  const name = word.replace(/^--?/, '').split('=')[0];
  return flags.find((f) => f.name === name || f.alias === name);
}

async function valuesFor(
  flag: string,
  before: string[],
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<[string, string][]> {
  if (flag === 'output')
    return [
      ['yaml', ''],
      ['json', ''],
    ];
  if (flag !== 'context' && flag !== 'cluster' && flag !== 'user') return [];
  const i = before.findIndex((w) => w === '--kubeconfig' || w.startsWith('--kubeconfig='));
  const explicitPath =
    i < 0 ? undefined : before[i].includes('=') ? before[i].split('=')[1] : before[i + 1];
  try {
    const merged = await loadKubeconfig({ explicitPath, env, log });
    const map =
      flag === 'context' ? merged.contexts : flag === 'cluster' ? merged.clusters : merged.users;
    return [...map.keys()].map((name) => [name, '']);
  } catch {
    // Completion must never print an error into the user's command line.
    return [];
  }
}

function answer(candidates: [string, string][], prefix: string, files: boolean): string {
  const lines = candidates
    .filter(([value]) => value.startsWith(prefix))
    .map(([value, describe]) => (describe ? `${value}\t${describe}` : value));
  lines.push(`:${files ? directive.default : directive.noFileComp}`);
  return `${lines.join('\n')}\n`;
}
