'use strict';
/**
 * Makes the code cache that scripts/sea-loader.cjs hands to V8: compiles the bundle with the same
 * wrapper, runs it once as `--help` (which loads every module, so their functions get compiled),
 * and saves the cache when the process ends. Run it with the exact Node runtime that goes into
 * the binary: a cache is valid only for the V8 version and flags that made it.
 *
 *   node scripts/sea-train.cjs BUNDLE OUTPUT
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const wrap = (source) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

const [bundle, output] = process.argv.slice(2);
const script = new vm.Script(wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle });
process.on('exit', () => fs.writeFileSync(output, script.createCachedData()));
// The help text is not wanted; only the code it runs.
process.stdout.write = () => true;
process.argv = [process.argv[0], bundle, '__complete', ''];
const trainee = { exports: {} };
script.runInThisContext()(trainee.exports, require, trainee, bundle, path.dirname(bundle));
