#!/usr/bin/env node
/**
 * Packs the built binaries for release and renders the krew manifest.
 *
 *   node scripts/release.mjs [--platform OS/ARCH]...
 *
 * For each platform built into dist/<os>-<arch>/ (or each one named), writes to dist/release/:
 * kubectl-sa_kubeconfig-v<version>-<os>-<arch>.tar.gz (.zip for Windows) holding the binary,
 * the completion script (not on Windows), LICENSE and THIRD_PARTY_NOTICES.txt; then
 * SHA256SUMS, and krew-manifest.yaml rendered from plugin.yaml with each archive's sha256.
 *
 * Archives are reproducible for the same binaries: fixed entry order, modes and mtime
 * ($SOURCE_DATE_EPOCH, else the last commit's time), no owner names.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import * as tar from 'tar';
import YAML from 'yaml';
import yazl from 'yazl';

import {
  MACOS_NOTE,
  METAFILE,
  binaryName,
  bundleDigest,
  readBuildInfo,
  targetDir,
} from './build.mjs';
import { NODE_VERSION, TARGETS, cacheRoot, ensureRuntime, hostTarget } from './node-runtime.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RELEASE = path.join(ROOT, 'dist', 'release');
const TEMPLATE = path.join(ROOT, 'plugin.yaml');
const COMPLETION = path.join(ROOT, 'completion', 'kubectl_complete-sa_kubeconfig');

/** Prints a progress line on stderr. */
function log(line) {
  process.stderr.write(`${line}\n`);
}

/** The archive's file name for `target` at version `tag` ("v0.1.0"). */
export function archiveName(tag, target) {
  const ext = target.startsWith('windows/') ? 'zip' : 'tar.gz';
  return `kubectl-sa_kubeconfig-${tag}-${target.replace('/', '-')}.${ext}`;
}

async function main() {
  const { values } = parseArgs({ options: { platform: { type: 'string', multiple: true } } });
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  const tag = `v${version}`;
  const targets = builtTargets(values.platform, version);
  if (targets.length === 0)
    throw new Error('no binary in dist/ to release (run npm run build first)');

  fs.rmSync(RELEASE, { recursive: true, force: true });
  fs.mkdirSync(RELEASE, { recursive: true });
  const notices = await thirdPartyNotices();
  const mtime = sourceDate();

  const archives = [];
  for (const target of targets) {
    const file = path.join(RELEASE, archiveName(tag, target));
    await packArchive(target, file, notices, mtime);
    archives.push({ target, file, sha256: sha256(file) });
    log(`packed ${path.relative(ROOT, file)} (${(fs.statSync(file).size / 1e6).toFixed(1)} MB)`);
  }

  const sums = archives.map((a) => `${a.sha256}  ${path.basename(a.file)}\n`).join('');
  fs.writeFileSync(path.join(RELEASE, 'SHA256SUMS'), sums);
  const manifest = renderManifest(fs.readFileSync(TEMPLATE, 'utf8'), tag, archives);
  fs.writeFileSync(path.join(RELEASE, 'krew-manifest.yaml'), manifest);
  log(`wrote ${path.relative(ROOT, RELEASE)}/krew-manifest.yaml and SHA256SUMS`);

  if (targets.some((t) => t.startsWith('darwin/'))) log(`\n${MACOS_NOTE}`);
}

/**
 * The targets to pack: those named, or else every one built. A binary counts as built only when
 * its build.json names the current bundle and version, so that a binary left over from an older
 * build is never packed with a new manifest.
 */
function builtTargets(named, version) {
  const bundleSha256 = bundleDigest();
  const whyNot = (t) => {
    if (!fs.existsSync(path.join(targetDir(t), binaryName(t)))) return 'it is not built';
    const info = readBuildInfo(t);
    if (!info || info.bundleSha256 !== bundleSha256 || info.version !== version) {
      return 'it was built from another bundle';
    }
    return undefined;
  };
  const fix = (t) => `npm run build -- --platform ${t}`;

  if (!named || named.length === 0) {
    return Object.keys(TARGETS).filter((t) => {
      const why = whyNot(t);
      if (why && why !== 'it is not built') log(`skipping ${t}: ${why} (${fix(t)})`);
      return !why;
    });
  }
  const targets = named.flatMap((v) => v.split(',')).map((v) => v.trim().replace('-', '/'));
  for (const t of targets) {
    if (!(t in TARGETS)) throw new Error(`unknown --platform "${t}"`);
    const why = whyNot(t);
    if (why) throw new Error(`cannot pack ${t}: ${why} (${fix(t)})`);
  }
  return [...new Set(targets)];
}

/** Writes one archive: tar.gz, or zip for Windows, with the files at its top level. */
async function packArchive(target, file, notices, mtime) {
  const windows = target.startsWith('windows/');
  const entries = [
    {
      name: binaryName(target),
      source: path.join(targetDir(target), binaryName(target)),
      mode: 0o755,
    },
    ...(windows ? [] : [{ name: path.basename(COMPLETION), source: COMPLETION, mode: 0o755 }]),
    { name: 'LICENSE', source: path.join(ROOT, 'LICENSE'), mode: 0o644 },
    { name: 'THIRD_PARTY_NOTICES.txt', content: notices, mode: 0o644 },
  ];

  if (windows) {
    const zip = new yazl.ZipFile();
    for (const e of entries) {
      const options = { mtime, mode: 0o100000 | e.mode, compressionLevel: 9 };
      if (e.content !== undefined) zip.addBuffer(Buffer.from(e.content), e.name, options);
      else zip.addFile(e.source, e.name, options);
    }
    zip.end();
    await pipeline(zip.outputStream, fs.createWriteStream(file));
    return;
  }

  // node-tar reads files from one folder: stage copies with the wanted modes.
  const stage = fs.mkdtempSync(path.join(RELEASE, '.stage-'));
  try {
    for (const e of entries) {
      const dest = path.join(stage, e.name);
      if (e.content !== undefined) fs.writeFileSync(dest, e.content);
      else fs.copyFileSync(e.source, dest);
      fs.chmodSync(dest, e.mode);
    }
    await tar.c(
      { file, cwd: stage, gzip: { level: 9 }, portable: true, mtime },
      entries.map((e) => e.name),
    );
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * Fills plugin.yaml's placeholders for each archive and drops the platforms not built.
 * Every archive must match exactly one platform of the template by its os/arch selector.
 */
export function renderManifest(template, tag, archives) {
  const doc = YAML.parseDocument(template);
  const homepage = doc.getIn(['spec', 'homepage']);
  const platforms = doc.getIn(['spec', 'platforms']);
  const fill = (text, values) =>
    text.replace(/\{\{(\w+)\}\}/g, (whole, key) => {
      if (!(key in values)) throw new Error(`plugin.yaml: unknown placeholder ${whole}`);
      return values[key];
    });

  const used = new Set();
  platforms.items = platforms.items.filter((item) => {
    const labels = item.getIn(['selector', 'matchLabels']).toJSON();
    const target = `${labels.os}/${labels.arch}`;
    const archive = archives.find((a) => a.target === target);
    if (!archive) return false;
    used.add(target);
    const values = {
      version: tag,
      homepage,
      archive: path.basename(archive.file),
      sha256: archive.sha256,
    };
    for (const key of ['uri', 'sha256']) item.set(key, fill(item.get(key), values));
    return true;
  });
  for (const a of archives) {
    if (!used.has(a.target)) throw new Error(`plugin.yaml has no platform for ${a.target}`);
  }
  doc.setIn(['spec', 'version'], tag);
  doc.setIn(['spec', 'caveats'], fill(doc.getIn(['spec', 'caveats']), { version: tag }));

  doc.commentBefore =
    ' Rendered by scripts/release.mjs from plugin.yaml: edit the template, not this file.';
  const text = doc.toString({ lineWidth: 0 });
  if (text.includes('{{')) throw new Error('plugin.yaml: a placeholder was left unfilled');
  return text;
}

/**
 * The notices of everything inside the binary: Node.js (whose LICENSE covers its own bundled
 * libraries) and each npm package esbuild bundled, with the package's license file.
 */
async function thirdPartyNotices() {
  if (!fs.existsSync(METAFILE))
    throw new Error(`no ${path.relative(ROOT, METAFILE)} (run npm run build)`);
  const inputs = Object.keys(JSON.parse(fs.readFileSync(METAFILE, 'utf8')).inputs);
  const packageDirs = new Set();
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replaceAll('\\', '/'));
    if (m) packageDirs.add(path.resolve(ROOT, m[1]));
  }

  const sections = [];
  const nodeLicense = await nodeLicenseText();
  sections.push(`Node.js ${NODE_VERSION} (the runtime this binary is built on)\n\n${nodeLicense}`);
  for (const dir of [...packageDirs].sort()) {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const licenseFile = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)([.-].*)?$/i.test(f));
    const text = licenseFile
      ? fs.readFileSync(path.join(dir, licenseFile), 'utf8').trim()
      : `(the package ships no license file; package.json says: ${pkg.license ?? 'nothing'})`;
    sections.push(`${pkg.name} ${pkg.version} (${pkg.license ?? 'no license field'})\n\n${text}`);
  }
  const rule = `\n\n${'='.repeat(78)}\n\n`;
  const intro = 'kubectl-sa_kubeconfig contains the following third-party software.';
  return `${intro}${rule}${sections.join(rule)}\n`;
}

/** Node's LICENSE from a cached runtime (the Windows package ships none: any other will do). */
async function nodeLicenseText() {
  for (const t of Object.values(TARGETS)) {
    const file = path.join(cacheRoot(), `node-${NODE_VERSION}-${t.nodeId}`, 'LICENSE');
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  }
  const exe = await ensureRuntime(hostTarget() ?? 'linux/amd64', log);
  return fs.readFileSync(path.join(path.dirname(exe), 'LICENSE'), 'utf8').trim();
}

/** The mtime of every archive entry: $SOURCE_DATE_EPOCH, the last commit's time, or now. */
function sourceDate() {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv) return new Date(Number(fromEnv) * 1000);
  try {
    const seconds = execFileSync('git', ['log', '-1', '--format=%ct'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    return new Date(Number(seconds.trim()) * 1000);
  } catch {
    return new Date();
  }
}

/** The file's sha256, lowercase hex, as krew wants it. */
function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  });
}
