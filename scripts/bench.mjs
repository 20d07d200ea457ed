#!/usr/bin/env node
/**
 * npm run bench: the plugin's whole job against the kubectl command sequence
 * it replaces, on a local control plane, in one run; then the binary's own
 * figures (start-up, job time against the bundle, archive sizes).
 *
 *   node scripts/bench.mjs [--runs N] [--dir CONTROL_PLANE_DIR]
 *
 * Prints figures only; it never fails on a slow machine. Targets (from the
 * issues): job time at most 0.3 of the kubectl sequence, peak RSS at most
 * 80 MB, binary --version at most 1.3x `node -e 0`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const controlPlane = path.join(root, 'scripts/control-plane.sh');
const bundle = path.join(root, 'dist/kubectl-sa_kubeconfig.cjs');
const binary = path.join(root, 'dist/linux-amd64/kubectl-sa_kubeconfig');
const gnuTime = '/usr/bin/time';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, dir: { type: 'string' } },
});
const runs = Number(values.runs);

/** The kubectl sequence of the hand-written scripts this tool replaces. */
const shellJob = `
set -euo pipefail
kubectl create serviceaccount "$SA" -n "$NS" >/dev/null
kubectl create rolebinding "$SA-edit" --clusterrole=edit --serviceaccount="$NS:$SA" -n "$NS" >/dev/null
TOKEN=$(kubectl create token "$SA" -n "$NS" --duration=1h)
SERVER=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
kubectl config view --minify --raw --flatten \\
  -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d > "$WORK/ca.crt"
OUT="$WORK/$SA.kubeconfig"
kubectl --kubeconfig "$OUT" config set-cluster c --server "$SERVER" \\
  --certificate-authority "$WORK/ca.crt" --embed-certs >/dev/null
kubectl --kubeconfig "$OUT" config set-credentials "$SA" --token "$TOKEN" >/dev/null
kubectl --kubeconfig "$OUT" config set-context "$SA" --cluster c --user "$SA" --namespace "$NS" >/dev/null
kubectl --kubeconfig "$OUT" config use-context "$SA" >/dev/null
`;

function startCluster() {
  if (values.dir) return { dir: values.dir, stop: () => {} };
  const dir = mkdtempSync(path.join(tmpdir(), 'ksa-bench-'));
  execFileSync('bash', [controlPlane, 'start', 'current', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    dir,
    stop: () => execFileSync('bash', [controlPlane, 'stop', dir], { stdio: 'inherit' }),
  };
}

/** Runs a command under GNU time; returns wall ms and peak RSS in MB. */
function measure(cmd, args, env) {
  const started = process.hrtime.bigint();
  const r = spawnSync(gnuTime, ['-f', '%M', cmd, ...args], { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  return { ms, rssMb: Number(lines[lines.length - 1]) / 1024 };
}

/**
 * The plugin doing what the kubectl sequence does. That sequence checks
 * nothing afterwards, so --verify=false; `verified` adds the plugin's own
 * check of the written file, for information.
 */
function pluginJob(cmd, pre, env, ns, sa, work, verified = false) {
  const out = path.join(work, `${sa}.kubeconfig`);
  const args = [...pre, sa, '-n', ns, '--clusterrole', 'edit', '--duration', '1h'];
  args.push('--output-file', out, `--verify=${verified}`);
  return measure(cmd, args, env);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function summary(label, samples) {
  const ms = median(samples.map((s) => s.ms));
  const rss = Math.max(...samples.map((s) => s.rssMb));
  console.log(
    `${label.padEnd(28)} median ${ms.toFixed(0).padStart(6)} ms   peak RSS ${rss.toFixed(1)} MB`,
  );
  return { ms, rss };
}

function main() {
  if (!existsSync(gnuTime))
    throw new Error('GNU time is missing: run scripts/setup.sh (apt package "time")');
  if (!existsSync(bundle))
    execFileSync('node', [path.join(root, 'scripts/build.mjs'), '--bundle-only']);
  const cluster = startCluster();
  const work = mkdtempSync(path.join(tmpdir(), 'ksa-bench-work-'));
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    KUBECONFIG: path.join(cluster.dir, 'admin.kubeconfig'),
  };
  try {
    // A fresh namespace per run, so a reused control plane (--dir) starts clean.
    const ns = `bench-${Date.now()}`;
    execFileSync('kubectl', ['create', 'namespace', ns], { env, stdio: 'ignore' });
    const shell = [];
    const node = [];
    const bin = [];
    const checked = [];
    // Interleaved, so a noisy neighbour slows both sides alike.
    for (let i = 0; i < runs; i++) {
      shell.push(
        measure('bash', ['-c', shellJob], { ...env, SA: `shell-${i}`, NS: ns, WORK: work }),
      );
      node.push(pluginJob('node', [bundle], env, ns, `node-${i}`, work));
      if (existsSync(binary)) bin.push(pluginJob(binary, [], env, ns, `bin-${i}`, work));
      checked.push(pluginJob('node', [bundle], env, ns, `verified-${i}`, work, true));
    }
    console.log(`whole job, ${runs} runs each, against ${readVersion(cluster.dir)}:`);
    const s = summary('kubectl command sequence', shell);
    const n = summary('plugin (bundle on node)', node);
    console.log(`ratio plugin/kubectl: ${(n.ms / s.ms).toFixed(2)} (target <= 0.30)`);
    console.log(`plugin peak RSS: ${n.rss.toFixed(1)} MB (target <= 80)`);
    summary('plugin, with --verify', checked);
    if (bin.length > 0) {
      const b = summary('plugin (binary)', bin);
      console.log(`ratio binary/kubectl: ${(b.ms / s.ms).toFixed(2)} (target <= 0.30)`);
      console.log(`ratio binary/bundle: ${(b.ms / n.ms).toFixed(2)}`);
      console.log(`binary peak RSS: ${b.rss.toFixed(1)} MB (target <= 80)`);
    } else {
      console.log('no dist/linux-amd64 binary: run `npm run build` for the binary figures');
    }
  } finally {
    cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const binaryBench = path.join(root, 'scripts/bench-binary.mjs');
  if (existsSync(binaryBench) && existsSync(binary)) {
    execFileSync('node', [binaryBench], { stdio: 'inherit' });
  }
}

function readVersion(dir) {
  const m = /KSA_VERSION=['"]?([^'"\n]+)/.exec(readFileSync(path.join(dir, 'env'), 'utf8'));
  return m ? m[1] : 'unknown version';
}

main();
