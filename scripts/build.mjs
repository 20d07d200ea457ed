#!/usr/bin/env node
/**
 * Builds kubectl-sa_kubeconfig: one CJS bundle, then one self-contained executable per platform.
 *
 *   node scripts/build.mjs [--platform OS/ARCH]... [--bundle-only] [--no-code-cache] [--entry FILE]
 *
 * Steps: esbuild bundles src/main.ts into dist/kubectl-sa_kubeconfig.cjs; the pinned Node
 * runtime (scripts/node-runtime.mjs) of this machine turns it into a Node SEA blob; each
 * target's runtime is copied, stripped (Linux) and injected with the blob by postject into
 * dist/<os>-<arch>/kubectl-sa_kubeconfig[.exe], beside a build.json that names the bundle it
 * holds (release.mjs packs no binary left over from an older build). Only the npm registry is
 * needed.
 *
 * The blob carries a V8 code cache only for the target this machine runs natively: a code
 * cache is valid only on the platform that made it, and a foreign one may crash at start.
 * Other targets get a blob without code cache from the same Node version, which any platform
 * loads; they start a little slower (see scripts/bench-binary.mjs).
 *
 * macOS binaries come out unsigned; see the note printed at the end and the README.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import * as esbuild from 'esbuild';

import { NODE_VERSION, TARGETS, ensureRuntime, hostTarget } from './node-runtime.mjs';

const require = createRequire(import.meta.url);
const { inject } = require('postject');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const BUNDLE = path.join(DIST, 'kubectl-sa_kubeconfig.cjs');
/** esbuild's list of the bundle's inputs; release.mjs reads it for the third-party notices. */
export const METAFILE = path.join(DIST, 'kubectl-sa_kubeconfig.meta.json');
const BIN_NAME = 'kubectl-sa_kubeconfig';

/** Node's SEA fuse: postject flips it so the runtime looks for the injected blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * Optional packages that bundled code requires inside try/catch. Unresolved, they would stay
 * as runtime require() calls, which a SEA answers with a warning on every start; resolved to a
 * module that throws MODULE_NOT_FOUND, the callers take their "not installed" path silently.
 */
const ABSENT_MODULES = ['bufferutil', 'utf-8-validate', 'supports-color', 'encoding'];

/** Prints a progress line on stderr. */
function log(line) {
  process.stderr.write(`${line}\n`);
}

/** The folder of one target's binary: dist/linux-amd64 and so on. */
export function targetDir(target) {
  return path.join(DIST, target.replace('/', '-'));
}

/** The file name of the binary on `target`. */
export function binaryName(target) {
  return target.startsWith('windows/') ? `${BIN_NAME}.exe` : BIN_NAME;
}

async function main() {
  const { values } = parseArgs({
    options: {
      platform: { type: 'string', multiple: true },
      'bundle-only': { type: 'boolean', default: false },
      'no-code-cache': { type: 'boolean', default: false },
      entry: { type: 'string', default: path.join(ROOT, 'src', 'main.ts') },
    },
  });
  const targets = parseTargets(values.platform);

  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  await bundle(path.resolve(values.entry));
  log(`bundled ${path.relative(ROOT, BUNDLE)} (${mb(fs.statSync(BUNDLE).size)})`);
  if (values['bundle-only']) return;
  const bundleSha256 = bundleDigest();

  const host = hostTarget();
  if (!host) throw new Error(`cannot make SEA blobs on ${process.platform}/${process.arch}`);
  const hostNode = await ensureRuntime(host, log);

  const blobs = new Map();
  const results = [];
  for (const target of targets) {
    const codeCache = target === host && !values['no-code-cache'];
    if (!blobs.has(codeCache)) blobs.set(codeCache, makeBlob(hostNode, codeCache));

    const runtime = await ensureRuntime(target, log);
    const exe = await makeBinary(target, runtime, blobs.get(codeCache));
    if (target === host) smokeTest(exe, version);
    writeBuildInfo(target, { version, nodeVersion: NODE_VERSION, bundleSha256, codeCache });
    results.push({ target, exe, codeCache });
  }

  for (const { target, exe, codeCache } of results) {
    const notes = [codeCache ? 'code cache' : 'no code cache'];
    if (target.startsWith('darwin/')) notes.push('unsigned');
    log(`built ${path.relative(ROOT, exe)} (${mb(fs.statSync(exe).size)}, ${notes.join(', ')})`);
  }
  if (results.some((r) => r.target.startsWith('darwin/'))) log(`\n${MACOS_NOTE}`);
}

/** The note on what a macOS machine must still do; release.mjs prints it too. */
export const MACOS_NOTE = `\
NOTE: the darwin binaries are not signed (codesign exists only on macOS). Before they are
packed for release, on a macOS machine run, for each darwin-* folder of dist/:
  codesign --sign - --force dist/darwin-arm64/kubectl-sa_kubeconfig
  codesign --verify --verbose dist/darwin-arm64/kubectl-sa_kubeconfig
Apple silicon kills an unsigned or badly signed binary at start, so darwin/arm64 needs at
least this ad-hoc signature; darwin/amd64 should get the same. Signing with a Developer ID
(codesign --sign "Developer ID Application: ..." --options runtime) and notarizing avoid the
Gatekeeper prompt for downloaded files. Then run "npm run release" again, since signing
changes the sha256 of the archives.`;

/** The sha256 of the current bundle: build.json ties each binary to the bundle inside it. */
export function bundleDigest() {
  return createHash('sha256').update(fs.readFileSync(BUNDLE)).digest('hex');
}

/** What went into a target's binary, in dist/<os>-<arch>/build.json; release.mjs checks it. */
export function readBuildInfo(target) {
  const file = path.join(targetDir(target), 'build.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
}

function writeBuildInfo(target, info) {
  fs.writeFileSync(
    path.join(targetDir(target), 'build.json'),
    `${JSON.stringify(info, null, 2)}\n`,
  );
}

/** Reads --platform values (repeated or comma-separated, os/arch or os-arch); none means all. */
function parseTargets(values) {
  if (!values || values.length === 0) return Object.keys(TARGETS);
  const targets = values.flatMap((v) => v.split(',')).map((v) => v.trim().replace('-', '/'));
  for (const t of targets) {
    if (!(t in TARGETS)) {
      throw new Error(`unknown --platform "${t}" (one of: ${Object.keys(TARGETS).join(', ')})`);
    }
  }
  return [...new Set(targets)];
}

/** Bundles the CLI into one CJS file; any esbuild warning fails the build. */
async function bundle(entry) {
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: `node${NODE_VERSION.split('.')[0]}`,
    format: 'cjs',
    // Whitespace and syntax only: identifiers stay readable in the stack traces of bug reports,
    // and the code cache already spares most of the parse time that renaming would save.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    sourcemap: false,
    logLevel: 'silent',
    metafile: true,
    plugins: [resolveOverrides()],
  });
  fs.writeFileSync(METAFILE, JSON.stringify(result.metafile));
  if (result.warnings.length > 0) {
    const text = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
    throw new Error(`esbuild warned; fix the cause rather than ship it:\n${text.join('')}`);
  }
}

/**
 * Points `punycode` at the npm package (Node's built-in one prints DEP0040 on every start of
 * Node >= 21) and the optional modules at a module that throws as if they were not installed.
 */
function resolveOverrides() {
  const absent = new RegExp(`^(${ABSENT_MODULES.join('|')})$`);
  return {
    name: 'resolve-overrides',
    setup(build) {
      build.onResolve({ filter: /^(node:)?punycode\/?$/ }, () => ({
        path: require.resolve('punycode/punycode.js', { paths: [ROOT] }),
      }));
      build.onResolve({ filter: absent }, (args) => ({ path: args.path, namespace: 'absent' }));
      // node-fetch 2 uses Node's own URL when it exists and whatwg-url only as a fallback, but
      // loads it (and its 260 KB tr46 table) on every start: hand it Node's URL instead.
      build.onResolve({ filter: /^whatwg-url$/ }, () => ({
        path: 'whatwg-url',
        namespace: 'node-url',
      }));
      build.onLoad({ filter: /.*/, namespace: 'node-url' }, () => ({
        contents:
          'module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };\n',
        loader: 'js',
      }));
      build.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
        contents:
          `const e = new Error(${JSON.stringify(`Cannot find module '${args.path}'`)});\n` +
          `e.code = 'MODULE_NOT_FOUND';\nthrow e;\n`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Makes a SEA blob with the host's copy of the pinned runtime. Its main is sea-loader.cjs, which
 * runs the bundle (an asset) with the code cache of sea-train.cjs when `useCodeCache`.
 */
function makeBlob(hostNode, useCodeCache) {
  const work = path.join(DIST, '.sea');
  fs.mkdirSync(work, { recursive: true });
  const name = useCodeCache ? 'sea-code-cache' : 'sea';
  const config = path.join(work, `${name}.json`);
  const blob = path.join(work, `${name}.blob`);
  const version = path.join(work, 'version');
  fs.writeFileSync(
    version,
    `${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'))).version}\n`,
  );
  const assets = { bundle: BUNDLE, version };
  if (useCodeCache) assets['code-cache'] = trainCodeCache(hostNode, work);
  fs.writeFileSync(
    config,
    JSON.stringify({
      main: path.join(ROOT, 'scripts', 'sea-loader.cjs'),
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      // The loader is a few lines; the cache that matters is the bundle's, in the assets.
      useCodeCache: false,
      assets,
    }),
  );
  // Quiet unless it fails: on success it only says that it wrote the blob.
  const r = spawnSync(hostNode, ['--experimental-sea-config', config], {
    encoding: 'utf8',
    env: cleanEnv(),
  });
  if (r.status !== 0) {
    throw new Error(`failed to make the SEA blob (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
  return fs.readFileSync(blob);
}

/** Runs the bundle once under `hostNode` and returns the file of the code cache it left. */
function trainCodeCache(hostNode, work) {
  const cache = path.join(work, 'bundle.code-cache');
  const trainer = path.join(ROOT, 'scripts', 'sea-train.cjs');
  const r = spawnSync(hostNode, [trainer, BUNDLE, cache], { encoding: 'utf8', env: cleanEnv() });
  if (r.status !== 0 || !fs.existsSync(cache)) {
    throw new Error(`failed to make the code cache (exit ${r.status}): ${r.stderr}`);
  }
  return cache;
}

/** Copies the runtime, strips it (Linux) and injects the blob; returns the binary's path. */
async function makeBinary(target, runtime, blob) {
  const dir = targetDir(target);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const exe = path.join(dir, binaryName(target));
  fs.copyFileSync(runtime, exe);
  fs.chmodSync(exe, 0o755);

  // Strip before injecting: strip rewrites the file, and the injected note must come out of
  // postject untouched. Node's release binaries carry a full symbol table (about 35 MB).
  if (target.startsWith('linux/')) stripBinary(target, exe);
  if (target.startsWith('windows/')) dropAuthenticode(exe);

  await quietly(() =>
    inject(exe, 'NODE_SEA_BLOB', blob, {
      sentinelFuse: SEA_FUSE,
      machoSegmentName: target.startsWith('darwin/') ? 'NODE_SEA' : undefined,
    }),
  );
  return exe;
}

/**
 * Removes node.exe's Authenticode signature, as `signtool remove /s` does: injecting the blob
 * breaks it, and a broken signature looks worse to Windows than none. The certificate table
 * is the last thing in the file; its data directory entry is cleared and the file cut there.
 */
function dropAuthenticode(exe) {
  const fd = fs.openSync(exe, 'r+');
  try {
    const head = Buffer.alloc(4096);
    fs.readSync(fd, head, 0, head.length, 0);
    const pe = head.readUInt32LE(0x3c);
    if (head.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error(`"${exe}" is no PE file`);
    const optional = pe + 24;
    if (head.readUInt16LE(optional) !== 0x20b) throw new Error(`"${exe}" is no PE32+ file`);
    const entry = optional + 112 + 4 * 8; // data directory 4: the certificate table
    const offset = head.readUInt32LE(entry);
    const size = head.readUInt32LE(entry + 4);
    if (size === 0) return;
    if (offset + size !== fs.fstatSync(fd).size) {
      throw new Error(`the signature of "${exe}" is not at its end; not removing it`);
    }
    fs.writeSync(fd, Buffer.alloc(8), 0, 8, entry);
    fs.ftruncateSync(fd, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Runs postject with its console.warn output filtered: LIEF warns once per note section it
 * cannot name in a stripped ELF file ("Can't find string offset for section name"), which is
 * harmless noise; anything else it says is passed on.
 */
async function quietly(fn) {
  const warn = console.warn;
  console.warn = (...args) => {
    const text = args.join(' ');
    if (!/^warning: Can't find string offset for section name/.test(text)) warn(...args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

/**
 * Strips the symbol table with the first strip that handles the target's machine code; the
 * plain `strip` of a host with another architecture (or of macOS) refuses the file, so each
 * candidate that fails hands over to the next.
 */
function stripBinary(target, exe) {
  const candidates =
    target === 'linux/arm64'
      ? ['aarch64-linux-gnu-strip', 'llvm-strip', 'strip']
      : ['x86_64-linux-gnu-strip', 'strip', 'llvm-strip'];
  const failures = [];
  for (const tool of candidates) {
    const r = spawnSync(tool, ['--strip-all', exe], { encoding: 'utf8', stdio: 'pipe' });
    if (r.error?.code === 'ENOENT') continue;
    if (r.status === 0) return;
    failures.push(`${tool}: ${(r.stderr || String(r.error)).trim()}`);
  }
  const why = failures.length ? failures.join('; ') : `none of ${candidates.join(', ')} found`;
  log(`warning: ${target} binary left unstripped, about 35 MB larger (${why})`);
}

/** Runs the freshly built native binary: --version must print the version and nothing else. */
function smokeTest(exe, version) {
  // KSA_CHECK_CODE_CACHE makes the loader say so on stderr if V8 refused the code cache.
  const env = { ...cleanEnv(), KSA_CHECK_CODE_CACHE: '1' };
  const r = spawnSync(exe, ['--version'], { encoding: 'utf8', env });
  if (r.status !== 0 || r.stdout.trim() !== version || r.stderr !== '') {
    throw new Error(
      `smoke test of "${exe} --version" failed: exit ${r.status}, ` +
        `stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)} ` +
        `(want "${version}")`,
    );
  }
}

/** This environment without NODE_OPTIONS, which a SEA binary and the blob maker both honour. */
function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/** A size in MB with one decimal. */
function mb(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  });
}
