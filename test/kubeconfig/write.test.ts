import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { checkOutputFile, writeOutputFile } from '../../src/kubeconfig/write.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'ksa-write-'));

describe('writeOutputFile', () => {
  it('creates the file 0600 even under a permissive umask, leaving no temp file', async () => {
    const d = dir();
    const file = path.join(d, 'ci.kubeconfig');
    const old = process.umask(0);
    try {
      await writeOutputFile(file, 'secret\n', false);
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('secret\n');
    expect(readdirSync(d)).toEqual(['ci.kubeconfig']);
  });

  it('refuses an existing file unless forced, and then replaces it 0600', async () => {
    const d = dir();
    const file = path.join(d, 'ci.kubeconfig');
    writeFileSync(file, 'old', { mode: 0o644 });
    await expect(writeOutputFile(file, 'new', false)).rejects.toThrow(
      'already exists (pass --force',
    );
    expect(readFileSync(file, 'utf8')).toBe('old');
    await writeOutputFile(file, 'new', true);
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(d)).toEqual(['ci.kubeconfig']);
  });
});

describe('checkOutputFile', () => {
  it('names a missing folder', async () => {
    await expect(checkOutputFile('/nonexistent-ksa/x', false)).rejects.toThrow(
      'cannot write "/nonexistent-ksa/x": the folder "/nonexistent-ksa" does not exist',
    );
  });

  it('refuses an existing file early and allows it with --force', async () => {
    const file = path.join(dir(), 'f');
    writeFileSync(file, '');
    await expect(checkOutputFile(file, false)).rejects.toThrow('already exists');
    await expect(checkOutputFile(file, true)).resolves.toBeUndefined();
  });
});

describe('checkOutputFile, refusals', () => {
  it('refuses a folder as the file, even with --force', async () => {
    const d = dir();
    await expect(checkOutputFile(d, true)).rejects.toThrow(`cannot write "${d}": it is a folder`);
  });
});
