import { describe, expect, it } from 'vitest';

import { completionTable } from '../src/cli.js';
import { complete } from '../src/completion.js';
import { Logger } from '../src/log.js';

const log = new Logger(0, { write: () => true });
const run = (...words: string[]) => complete(words, completionTable, { HOME: '/nonexistent' }, log);

describe('complete', () => {
  it('offers the subcommands first, without file completion', async () => {
    const out = await run('');
    expect(out.split('\n')[0]).toBe(
      'create\tCreate a ServiceAccount with access and print its kubeconfig',
    );
    expect(out.endsWith(':4\n')).toBe(true);
  });

  it('offers the flags of the command being typed', async () => {
    expect(await run('list', '--all')).toBe('--all-namespaces\tList every namespace.\n:4\n');
    expect(await run('rotate', 'ci', '--rev')).toBe(
      '--revocable\tBind the token to a new Secret: deleting it revokes the token.\n:4\n',
    );
  });

  it('offers values for -o and files for --output-file', async () => {
    expect(await run('ci', '-o', '')).toBe('yaml\njson\n:4\n');
    expect(await run('ci', '--output-file', '')).toBe(':0\n');
  });

  it('stays silent when the kubeconfig cannot be read', async () => {
    expect(await run('ci', '--kubeconfig', '/nonexistent', '--context', '')).toBe(':4\n');
  });
});
