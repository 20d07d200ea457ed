#!/usr/bin/env bash
# npm test: everything CI checks, in the order that fails fastest.
#   1. types, code patterns and formatting;
#   2. unit tests (fakes only);
#   3. the linux/amd64 and linux/arm64 binaries, their release archives and the krew manifest,
#      checked with krew's own validator and installed with krew;
#   4. end-to-end tests against real control planes (current release and v1.20.2), run through
#      the plugin that krew installed, as `kubectl sa-kubeconfig`.
# KSA_PLUGIN=bundle skips step 3 and runs step 4 with the bundle on node (quicker while editing).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "types, code patterns, formatting"
npx tsc --noEmit
bash scripts/check-code.sh
npx prettier --check "src/**/*.ts" "test/**/*.ts" >/dev/null

step "unit tests"
npx vitest run --project unit

if [[ "${KSA_PLUGIN:-}" == bundle ]]; then
  unset KSA_PLUGIN
else
  step "binaries, release archives, krew manifest"
  node scripts/build.mjs --platform linux/amd64 --platform linux/arm64
  node scripts/release.mjs --platform linux/amd64 --platform linux/arm64
  bash scripts/krew.sh validate dist/release/krew-manifest.yaml
  archive=$(ls dist/release/kubectl-sa_kubeconfig-v*-linux-amd64.tar.gz)
  krew_root=$(mktemp -d)
  trap 'rm -rf "$krew_root"' EXIT
  bin=$(KREW_ROOT="$krew_root" bash scripts/krew.sh install dist/release/krew-manifest.yaml "$archive")
  export PATH="$bin:$PATH"
  export KSA_PLUGIN="kubectl sa-kubeconfig"
  kubectl sa-kubeconfig --version >&2
fi

step "end-to-end tests (${KSA_PLUGIN:-bundle on node})"
npx vitest run --project e2e
