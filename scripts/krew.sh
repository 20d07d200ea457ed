#!/usr/bin/env bash
# krew itself, for checking the release the way krew-index and users will see it.
#
#   scripts/krew.sh tools                      build krew and validate-krew-manifest (cached)
#   scripts/krew.sh validate MANIFEST          krew's validator, then an install of every archive
#   scripts/krew.sh install MANIFEST ARCHIVE   install into $KREW_ROOT (default: a new temp dir)
#
# Both tools are built from sigs.k8s.io/krew at $KREW_VERSION through the Go module proxy and kept
# in ${KSA_CACHE:-$HOME/.cache/kubectl-sa-kubeconfig}/krew-$KREW_VERSION/bin, where krew is also
# linked as kubectl-krew so that `kubectl krew` finds it on PATH.
#
# `validate` runs validate-krew-manifest with -skip-install, since its own install step downloads
# each platform's uri; instead it installs each archive found next to the manifest with
# KREW_OS/KREW_ARCH set to the archive's platform, which checks the sha256 and that a LICENSE
# file lands in the install folder, as the validator's install step does.
#
# `install` prints only the bin folder to add to PATH on stdout; progress goes to stderr:
#   PATH="$(scripts/krew.sh install dist/release/krew-manifest.yaml dist/release/X.tar.gz):$PATH"
set -euo pipefail

KREW_VERSION=v0.4.3
CACHE="${KSA_CACHE:-$HOME/.cache/kubectl-sa-kubeconfig}/krew-$KREW_VERSION"
TOOLS="$CACHE/bin"
WORK=""
trap '[[ -z "$WORK" ]] || rm -rf "$WORK"' EXIT

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '4,6p' "$0" | sed 's/^# *//' >&2
  exit 2
}

# Builds the two tools unless they are cached. Static binaries: no cgo, nothing to link.
ensure_tools() {
  if [[ -x "$TOOLS/krew" && -x "$TOOLS/validate-krew-manifest" ]]; then
    ln -sfn krew "$TOOLS/kubectl-krew"
    return
  fi
  command -v go >/dev/null || die "building krew $KREW_VERSION needs go (1.17 or later)"
  log "building krew $KREW_VERSION and validate-krew-manifest into $TOOLS"
  mkdir -p "$TOOLS"
  GOBIN="$TOOLS" CGO_ENABLED=0 GOFLAGS=-mod=mod go install \
    "sigs.k8s.io/krew/cmd/krew@$KREW_VERSION" \
    "sigs.k8s.io/krew/cmd/validate-krew-manifest@$KREW_VERSION"
  ln -sfn krew "$TOOLS/kubectl-krew"
}

# Runs `kubectl krew` with the built krew first on PATH. A development build of krew makes no
# upgrade check; KREW_NO_UPGRADE_CHECK says so for any other build.
kubectl_krew() {
  KREW_ROOT="$KREW_ROOT" PATH="$TOOLS:$KREW_ROOT/bin:$PATH" KREW_NO_UPGRADE_CHECK=1 \
    kubectl krew "$@" </dev/null
}

# The plugin name from the manifest's metadata.name.
plugin_name() {
  sed -n '/^metadata:/,/^[^ ]/s/^  name: *//p' "$1" | head -n 1 | tr -d '"'"'"
}

# Installs ARCHIVE with MANIFEST into $KREW_ROOT for the platform in the archive's name
# (…-<os>-<arch>.tar.gz or .zip), replacing any installed copy of the plugin.
install_archive() {
  local manifest=$1 archive=$2 name platform os arch
  name=$(plugin_name "$manifest")
  [[ -n "$name" ]] || die "no metadata.name in $manifest"
  platform=$(basename "$archive" |
    sed -nE 's/.*-(linux|darwin|windows)-(amd64|arm64)\.(tar\.gz|zip)$/\1 \2/p')
  [[ -n "$platform" ]] || die "cannot tell the platform of $archive from its name"
  read -r os arch <<<"$platform"

  if [[ -d "$KREW_ROOT/store/$name" ]]; then
    KREW_OS=$os KREW_ARCH=$arch kubectl_krew uninstall "$name" >&2
  fi
  log "installing $(basename "$archive") as $os/$arch into $KREW_ROOT"
  KREW_OS=$os KREW_ARCH=$arch kubectl_krew install --manifest="$manifest" --archive="$archive" >&2
}

# install_archive with krew's output kept back unless it fails.
install_archive_quietly() {
  local out
  if ! out=$(install_archive "$@" 2>&1); then
    printf '%s\n' "$out" >&2
    die "krew could not install $(basename "$2")"
  fi
}

cmd_validate() {
  local manifest=$1 dir name archive found=0 license
  [[ -f "$manifest" ]] || die "no manifest at $manifest"
  dir=$(dirname "$manifest")
  name=$(plugin_name "$manifest")
  WORK=$(mktemp -d)

  # The validator takes the plugin's name from the file name, as krew-index names its files.
  cp "$manifest" "$WORK/$name.yaml"
  log "validate-krew-manifest: $manifest (as $name.yaml)"
  "$TOOLS/validate-krew-manifest" -manifest "$WORK/$name.yaml" -skip-install

  shopt -s nullglob
  for archive in "$dir"/*.tar.gz "$dir"/*.zip; do
    found=1
    KREW_ROOT="$WORK/root-$(basename "$archive")"
    install_archive_quietly "$manifest" "$archive"
    license=$(find "$KREW_ROOT/store/$name" -type f -iname 'LICENSE*' | head -n 1)
    [[ -n "$license" ]] || die "$(basename "$archive"): no LICENSE file in the installed plugin"
    log "  installed $(basename "$archive") with krew: sha256 matches, LICENSE present"
  done
  ((found)) || die "no archives next to $manifest to install"
  log "manifest and all archives are valid"
}

cmd_install() {
  local manifest=$1 archive=$2
  [[ -f "$manifest" ]] || die "no manifest at $manifest"
  [[ -f "$archive" ]] || die "no archive at $archive"
  KREW_ROOT="${KREW_ROOT:-$(mktemp -d)}"
  export KREW_ROOT
  install_archive "$manifest" "$archive"
  printf '%s\n' "$KREW_ROOT/bin"
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd=$1
  shift
  case "$cmd" in
    tools) [[ $# -eq 0 ]] || usage; ensure_tools; printf '%s\n' "$TOOLS" ;;
    validate) [[ $# -eq 1 ]] || usage; ensure_tools; cmd_validate "$1" ;;
    install) [[ $# -eq 2 ]] || usage; ensure_tools; cmd_install "$1" "$2" ;;
    *) usage ;;
  esac
}

main "$@"
