#!/usr/bin/env node
/**
 * Measures the built binary: start-up against a bare Node, and archive sizes.
 *
 *   node scripts/bench-binary.mjs [--runs N] [--binary FILE] [--node FILE] [--json]
 *
 * Start-up is `kubectl-sa_kubeconfig --version` against `node -e 0`, both spawned the same way,
 * interleaved so that drift in the machine's load hits both alike, mean of --runs each (20).
 * The reference node is the pinned runtime that is inside the binary, so the ratio shows only
 * what the plugin adds. Archive sizes are those of dist/release (run `npm run release` first).
 * Targets: ratio at most 1.3, linux/amd64 archive at most 35 MB.
 *
 * `npm run bench` can import measureStartup and archiveSizes instead of running this file.
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { ensureRuntime, hostTarget } from './node-runtime.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Start-up ratio the binary must stay under, against `node -e 0`. */
export const STARTUP_RATIO_TARGET = 1.3;

/** Largest linux/amd64 archive, in bytes. */
export const LINUX_ARCHIVE_TARGET = 35e6;

/**
 * Spawns `binary --version` and `node -e 0` alternately, `runs` times each, after one untimed
 * warm-up of each (page cache). Returns the means in milliseconds and their ratio.
 */
export function measureStartup({ binary, node, runs = 20 }) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const time = (cmd, args) => {
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: 'ignore', env });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    return ms;
  };

  time(binary, ['--version']);
  time(node, ['-e', '0']);
  let binaryTotal = 0;
  let nodeTotal = 0;
  for (let i = 0; i < runs; i++) {
    binaryTotal += time(binary, ['--version']);
    nodeTotal += time(node, ['-e', '0']);
  }
  const binaryMs = binaryTotal / runs;
  const nodeMs = nodeTotal / runs;
  return { runs, binaryMs, nodeMs, ratio: binaryMs / nodeMs };
}

/** The archives in `dir` with their platform (from the file name) and size in bytes. */
export function archiveSizes(dir = path.join(ROOT, 'dist', 'release')) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((file) => ({
      file,
      match: /-(linux|darwin|windows)-(amd64|arm64)\.(tar\.gz|zip)$/.exec(file),
    }))
    .filter(({ match }) => match)
    .map(({ file, match }) => ({
      platform: `${match[1]}/${match[2]}`,
      file,
      bytes: fs.statSync(path.join(dir, file)).size,
    }))
    .sort((a, b) => a.platform.localeCompare(b.platform));
}

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      binary: { type: 'string' },
      node: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const host = hostTarget();
  const binary =
    values.binary ??
    path.join(
      ROOT,
      'dist',
      host.replace('/', '-'),
      `kubectl-sa_kubeconfig${host.startsWith('windows') ? '.exe' : ''}`,
    );
  if (!fs.existsSync(binary)) throw new Error(`no binary at "${binary}" (run npm run build first)`);
  const node = values.node ?? (await ensureRuntime(host));

  const startup = measureStartup({ binary, node, runs: Number(values.runs) });
  const archives = archiveSizes();
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ binary, node, startup, archives }, null, 2)}\n`);
    return;
  }

  const ms = (v) => `${v.toFixed(1)} ms`.padStart(9);
  const ok = (pass) => (pass ? 'ok' : 'OVER TARGET');
  const lines = [
    `start-up, mean of ${startup.runs} interleaved runs each:`,
    `  node -e 0                        ${ms(startup.nodeMs)}  (${node})`,
    `  kubectl-sa_kubeconfig --version  ${ms(startup.binaryMs)}  (${path.relative(ROOT, binary)})`,
    `  ratio ${startup.ratio.toFixed(2)} (target <= ${STARTUP_RATIO_TARGET}): ` +
      ok(startup.ratio <= STARTUP_RATIO_TARGET),
    '',
    'archive sizes (dist/release):',
  ];
  if (archives.length === 0) lines.push('  none: run npm run release first');
  for (const a of archives) {
    const target =
      a.platform === 'linux/amd64'
        ? ` (target <= 35 MB): ${ok(a.bytes <= LINUX_ARCHIVE_TARGET)}`
        : '';
    lines.push(
      `  ${a.platform.padEnd(14)} ${(a.bytes / 1e6).toFixed(1).padStart(5)} MB  ${a.file}${target}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  });
}
