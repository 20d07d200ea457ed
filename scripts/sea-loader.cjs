'use strict';
/**
 * The entry point inside the single executable. It runs the bundle, stored as a SEA asset, with a
 * V8 code cache made at build time by scripts/sea-train.cjs after a run of the bundle. Node's own
 * useCodeCache keeps only code compiled before the script runs, which for a bundle is little more
 * than its outer function: most of start-up is spent compiling the functions that load modules.
 * Without the cache asset (binaries built for another platform), V8 simply compiles as usual.
 *
 * `--version` alone is answered from the version asset before the bundle is compiled: scripts
 * and krew call it to probe the plugin. Any other spelling goes through the CLI, which prints
 * the same package.json version.
 *
 * The wrapper below must match the one in sea-train.cjs, or V8 rejects the cache.
 */
const path = require('node:path');
const sea = require('node:sea');
const vm = require('node:vm');

const wrap = (source) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

function runBundle() {
  const filename = path.join(path.dirname(process.execPath), 'kubectl-sa_kubeconfig.cjs');
  let cachedData;
  try {
    // A view of the blob, not a copy: the cache is read once, at compile time.
    cachedData = Buffer.from(sea.getRawAsset('code-cache'));
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(wrap(sea.getAsset('bundle', 'utf8')), { filename, cachedData });
  if (process.env.KSA_CHECK_CODE_CACHE && cachedData && script.cachedDataRejected) {
    process.stderr.write('code cache rejected\n');
  }
  const main = { exports: {} };
  script.runInThisContext()(main.exports, require, main, filename, path.dirname(filename));
}

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') process.stdout.write(sea.getAsset('version', 'utf8'));
else runBundle();
