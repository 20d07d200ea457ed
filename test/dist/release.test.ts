// The release step: manifest rendering (always) and the packed archives (after npm run release).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

import pkg from '../../package.json' with { type: 'json' };
import { archiveName, renderManifest } from '../../scripts/release.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RELEASE = path.join(ROOT, 'dist', 'release');
const MANIFEST = path.join(RELEASE, 'krew-manifest.yaml');
const TEMPLATE = fs.readFileSync(path.join(ROOT, 'plugin.yaml'), 'utf8');
const NO_RELEASE = `no ${MANIFEST} (run npm run build, then npm run release)`;

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

interface Platform {
  selector: { matchLabels: { os: string; arch: string } };
  uri: string;
  sha256: string;
  bin: string;
  files: { from: string; to: string }[];
}

/** The platforms of a rendered manifest. */
function platformsOf(manifest: string): Platform[] {
  return YAML.parse(manifest).spec.platforms as Platform[];
}

/** The entry names of a tar.gz or zip archive. */
function listArchive(file: string): string[] {
  if (file.endsWith('.tar.gz')) {
    const names: string[] = [];
    tar.list({ file, sync: true, onReadEntry: (e) => names.push(e.path) });
    return names;
  }
  return listZip(fs.readFileSync(file));
}

/** Names from a zip's central directory (no zip64: the archives are far below 4 GB). */
function listZip(buf: Buffer): string[] {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('no end of central directory record');
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central header at ${at}`);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

describe('renderManifest', () => {
  const tag = 'v1.2.3';
  const archives = [
    { target: 'linux/amd64', file: `/x/${archiveName(tag, 'linux/amd64')}`, sha256: SHA_A },
    { target: 'windows/amd64', file: `/x/${archiveName(tag, 'windows/amd64')}`, sha256: SHA_B },
  ];

  it('fills version, uri and sha256 for each built platform and drops the others', () => {
    const manifest = renderManifest(TEMPLATE, tag, archives);
    const doc = YAML.parse(manifest);

    expect(manifest).not.toContain('{{');
    expect(doc.metadata.name).toBe('sa-kubeconfig');
    expect(doc.spec.version).toBe(tag);
    expect(doc.spec.caveats).toContain(`store/sa-kubeconfig/${tag}/`);
    expect(
      platformsOf(manifest).map((p) => [p.selector.matchLabels, p.sha256, path.basename(p.uri)]),
    ).toEqual([
      [{ os: 'linux', arch: 'amd64' }, SHA_A, 'kubectl-sa_kubeconfig-v1.2.3-linux-amd64.tar.gz'],
      [{ os: 'windows', arch: 'amd64' }, SHA_B, 'kubectl-sa_kubeconfig-v1.2.3-windows-amd64.zip'],
    ]);
    expect(platformsOf(manifest)[0].uri).toMatch(
      /^https:\/\/github\.com\/[^/]+\/[^/]+\/releases\/download\/v1\.2\.3\//,
    );
  });

  it('names a .exe bin for Windows only', () => {
    const bins = platformsOf(renderManifest(TEMPLATE, tag, archives)).map((p) => p.bin);

    expect(bins).toEqual(['kubectl-sa_kubeconfig', 'kubectl-sa_kubeconfig.exe']);
  });

  it('fails for an archive whose platform the template lacks', () => {
    const stray = [{ target: 'linux/riscv64', file: '/x/y.tar.gz', sha256: SHA_A }];

    expect(() => renderManifest(TEMPLATE, tag, stray)).toThrow(
      'plugin.yaml has no platform for linux/riscv64',
    );
  });

  it('fails on a placeholder it does not know', () => {
    const broken = TEMPLATE.replace('sha256: "{{sha256}}"', 'sha256: "{{checksum}}"');

    expect(() => renderManifest(broken, tag, archives)).toThrow(
      'plugin.yaml: unknown placeholder {{checksum}}',
    );
  });
});

describe('dist/release', () => {
  const present = fs.existsSync(MANIFEST);

  it('has a manifest for the package.json version', (ctx) => {
    ctx.skip(!present, NO_RELEASE);
    const doc = YAML.parse(fs.readFileSync(MANIFEST, 'utf8'));

    expect(doc.spec.version).toBe(`v${pkg.version}`);
    expect(doc.spec.platforms.length).toBeGreaterThan(0);
  });

  it('has, for each platform, an archive whose sha256 is the manifest one', (ctx) => {
    ctx.skip(!present, NO_RELEASE);
    for (const p of platformsOf(fs.readFileSync(MANIFEST, 'utf8'))) {
      const archive = path.join(RELEASE, path.basename(p.uri));
      const sha256 = createHash('sha256').update(fs.readFileSync(archive)).digest('hex');

      expect(p.sha256, path.basename(archive)).toBe(sha256);
    }
  });

  it('packs LICENSE, the binary and every file the manifest names into each archive', (ctx) => {
    ctx.skip(!present, NO_RELEASE);
    for (const p of platformsOf(fs.readFileSync(MANIFEST, 'utf8'))) {
      const names = listArchive(path.join(RELEASE, path.basename(p.uri)));

      expect(names, p.uri).toContain('LICENSE');
      expect(names, p.uri).toContain(p.bin);
      expect(names, p.uri).toEqual(expect.arrayContaining(p.files.map((f) => f.from)));
    }
  });
});
