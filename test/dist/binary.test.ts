// End-to-end checks of the built single binary, run as a user runs it (no node involved).
//
// Needs `npm run build -- --platform linux/amd64` first; skips with that hint otherwise.
// KSA_BINARY points the tests at another copy, such as the one krew installed.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import pkg from '../../package.json' with { type: 'json' };

const ROOT = path.resolve(import.meta.dirname, '../..');
const BINARY =
  process.env.KSA_BINARY ?? path.join(ROOT, 'dist', 'linux-amd64', 'kubectl-sa_kubeconfig');
const ARM64_BINARY = path.join(ROOT, 'dist', 'linux-arm64', 'kubectl-sa_kubeconfig');
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
const WINDOWS_BINARY = path.join(ROOT, 'dist', 'windows-amd64', 'kubectl-sa_kubeconfig.exe');

const NO_BINARY = `no binary at ${BINARY} (run npm run build -- --platform linux/amd64)`;
const onLinuxAmd64 = process.platform === 'linux' && process.arch === 'x64';

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with stdout and stderr captured apart, outside any kubeconfig. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Result {
  const base = { ...process.env };
  // A SEA binary honours NODE_OPTIONS; the test runner's own must not leak into it.
  delete base.NODE_OPTIONS;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ksa-home-'));
  try {
    const r = spawnSync(cmd, args, {
      encoding: 'utf8',
      env: { ...base, HOME: home, KUBECONFIG: path.join(home, 'absent'), ...env },
      timeout: 30_000,
    });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** The first of `tools` on PATH, or undefined. */
function which(...tools: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const tool of tools) {
      const file = path.join(dir, tool);
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}

describe('the linux/amd64 binary', () => {
  const present = fs.existsSync(BINARY) && onLinuxAmd64;

  it('prints the package.json version for --version, and nothing on stderr', (ctx) => {
    ctx.skip(!present, NO_BINARY);
    const r = run(BINARY, ['--version']);

    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${pkg.version}\n`);
    expect(r.status).toBe(0);
  });

  it('prints help for --help, exits 0 and warns about nothing', (ctx) => {
    ctx.skip(!present, NO_BINARY);
    const r = run(BINARY, ['--help']);

    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('sa-kubeconfig');
    expect(r.status).toBe(0);
  });

  it('rejects an unknown flag on stderr with a non-zero exit and an empty stdout', (ctx) => {
    ctx.skip(!present, NO_BINARY);
    const r = run(BINARY, ['--no-such-flag']);

    expect(r.stdout).toBe('');
    expect(r.stderr).not.toBe('');
    expect(r.status).not.toBe(0);
  });

  it('answers kubectl plugin completion through the completion script', (ctx) => {
    ctx.skip(!present, NO_BINARY);
    // The script prefers the binary beside it, as in a krew bin folder.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksa-complete-'));
    ctx.onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.symlinkSync(BINARY, path.join(dir, 'kubectl-sa_kubeconfig'));
    const script = path.join(dir, 'kubectl_complete-sa_kubeconfig');
    fs.copyFileSync(path.join(ROOT, 'completion', 'kubectl_complete-sa_kubeconfig'), script);
    fs.chmodSync(script, 0o755);

    const r = run(script, ['--']);

    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^:\d+$/);
    // A candidate is its value, optionally followed by a tab and a description.
    expect(lines.slice(0, -1).map((l) => l.split('\t')[0])).toContain('--namespace');
  });
});

describe('the linux/arm64 binary under qemu-user', () => {
  it('prints the package.json version', (ctx) => {
    const qemu = which('qemu-aarch64-static', 'qemu-aarch64');
    ctx.skip(
      !fs.existsSync(ARM64_BINARY),
      `no ${ARM64_BINARY} (npm run build -- --platform linux/arm64)`,
    );
    ctx.skip(!qemu, 'no qemu-aarch64 (apt-get install qemu-user-static)');
    ctx.skip(
      !fs.existsSync(path.join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')),
      `no arm64 C library in ${ARM64_SYSROOT} ` +
        '(apt-get install libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)',
    );

    // Node's arm64 build links glibc and libstdc++ dynamically: -L points qemu at them.
    const r = run(qemu!, ['-L', ARM64_SYSROOT, ARM64_BINARY, '--version']);

    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${pkg.version}\n`);
    expect(r.status).toBe(0);

    // --version alone is answered before the bundle loads: --help runs the bundle itself,
    // compiled without a code cache, as on every platform but the build's own.
    const help = run(qemu!, ['-L', ARM64_SYSROOT, ARM64_BINARY, '--help']);
    expect(help.stderr).toBe('');
    expect(help.stdout).toContain('kubectl sa-kubeconfig');
    expect(help.status).toBe(0);
  }, 120_000);
});

describe('the windows/amd64 binary under wine', () => {
  it('prints the package.json version', (ctx) => {
    const wine = which('wine64') ?? ['/usr/lib/wine/wine64'].find((f) => fs.existsSync(f));
    ctx.skip(!fs.existsSync(WINDOWS_BINARY), `no ${WINDOWS_BINARY} (npm run build)`);
    ctx.skip(!wine, 'no wine64 (apt-get install --no-install-recommends wine64)');
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'ksa-wine-'));
    ctx.onTestFinished(() => fs.rmSync(prefix, { recursive: true, force: true }));
    // Wine reports an older Windows than Node accepts unless told otherwise; the check is
    // Node's own, not the plugin's.
    const env = { WINEPREFIX: prefix, WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1' };

    run(wine!, ['wineboot', '--init'], env);
    // Node under wine fails to open a pipe from a Linux parent as stdout (EBADF in node:net),
    // so its output goes to files.
    const out = path.join(prefix, 'stdout');
    const err = path.join(prefix, 'stderr');
    const [outFd, errFd] = [fs.openSync(out, 'w'), fs.openSync(err, 'w')];
    const r = spawnSync(wine!, [WINDOWS_BINARY, '--version'], {
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', outFd, errFd],
      timeout: 60_000,
    });
    fs.closeSync(outFd);
    fs.closeSync(errFd);

    expect(fs.readFileSync(err, 'utf8')).toBe('');
    expect(fs.readFileSync(out, 'utf8').replace(/\r\n/g, '\n')).toBe(`${pkg.version}\n`);
    expect(r.status).toBe(0);
  }, 120_000);
});
