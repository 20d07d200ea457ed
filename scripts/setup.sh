#!/usr/bin/env bash
# Sets up a fresh machine for building and testing (Debian, as root or with sudo): the Debian
# packages the tests use, the Node dependencies, both control planes and krew. Everything slow
# is cached under ${KSA_CACHE:-$HOME/.cache/kubectl-sa-kubeconfig}, keyed by version, so a second
# run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# time: peak memory in the benchmark; qemu and the arm64 C library: the linux/arm64 binary's
# start-up check; binutils-aarch64-linux-gnu: stripping that binary; openssl: test certificates.
packages=(time openssl qemu-user-static binutils-aarch64-linux-gnu
  libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  log "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

log "node dependencies"
npm ci --no-audit --no-fund >/dev/null

log "control planes (minutes on a fresh machine, seconds once cached)"
bash scripts/control-plane.sh build current
bash scripts/control-plane.sh build 1.20

log "krew and its manifest validator"
bash scripts/krew.sh tools

log "done: run npm test"
