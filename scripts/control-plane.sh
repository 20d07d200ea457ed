#!/usr/bin/env bash
# shellcheck disable=SC2317  # some functions are only called through wait_for
# A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) on
# loopback, for end-to-end tests. No Docker here, so the binaries are built locally:
#
#   control-plane.sh versions                 the two exact versions it builds
#   control-plane.sh build current|1.20       build once, cached per exact version
#   control-plane.sh start current|1.20 DIR [--max-token-expiration DURATION]
#                                             start one instance; data, logs, secrets,
#                                             admin.kubeconfig, alice.kubeconfig, env, pids
#                                             go into DIR; prints DIR on stdout
#   control-plane.sh stop DIR                 stop the processes listed in DIR/pids
#
# "current" (kubernetes v1.37.2, etcd v3.7.3) is built from the Go module proxy with the
# tools modules under scripts/control-plane/; "1.20" (v1.20.2) from Debian's kubernetes
# source package with Debian's Go 1.19, the oldest Go Debian has (one vendored module is
# swapped for its Go 1.18 fix, see patch_reflect2), next to Debian's etcd 3.4.
# Cache: ${KSA_CACHE:-$HOME/.cache/kubectl-sa-kubeconfig}/k8s-<version>/{bin,recipe}.
# DIR/env has KSA_SERVER, KSA_VERSION, KSA_CA_FILE, KSA_ADMIN_TOKEN, KSA_ALICE_TOKEN,
# KSA_TLS_NAME (+ KSA_DIR, KSA_ADMIN_KUBECONFIG, KSA_ALICE_KUBECONFIG,
# KSA_MAX_TOKEN_EXPIRATION). KSA_START_TIMEOUT (s, default 90) bounds each start-up wait.
# Progress and errors go to stderr; stdout carries only what callers parse.
set -euo pipefail

readonly CURRENT_K8S=v1.37.2
# kubernetes v1.37 is tested with etcd 3.7 (kubeadm's DefaultEtcdVersion, hack/lib/etcd.sh).
readonly CURRENT_ETCD=v3.7.3
readonly LEGACY_K8S=v1.20.2
# The Debian source package is "1.20.5+really1.20.2": the 1.20.2 tree plus security patches.
readonly LEGACY_DEB_VERSION_MATCH='really1.20.2'
readonly LEGACY_GO=/usr/lib/go-1.19/bin
# The only newer Go toolchain the Go module proxy may serve here; used only when the
# machine's own Go is older than what the tools modules' go.mod files ask for.
readonly FALLBACK_TOOLCHAIN=go1.27.3
readonly TLS_NAME=kubernetes.sa-kubeconfig.test
# Bump when the way a version is built changes: caches of an older recipe are rebuilt.
readonly CURRENT_RECIPE=1
readonly LEGACY_RECIPE=2

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
readonly TOOLS_DIR="$SCRIPT_DIR/control-plane"
readonly CACHE_ROOT="${KSA_CACHE:-$HOME/.cache/kubectl-sa-kubeconfig}"
# Each wait (etcd healthy, apiserver ready, controllers working) is bounded by this.
readonly START_TIMEOUT="${KSA_START_TIMEOUT:-90}"

log() { printf '[control-plane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '3,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# current|1.37|v1.37.2 -> v1.37.2, 1.20|v1.20.2 -> v1.20.2
resolve_version() {
  case "$1" in
    current | "${CURRENT_K8S}" | "${CURRENT_K8S#v}" | "$(minor_of "$CURRENT_K8S")")
      echo "$CURRENT_K8S" ;;
    1.20 | "${LEGACY_K8S}" | "${LEGACY_K8S#v}") echo "$LEGACY_K8S" ;;
    *) die "unknown version '$1' (use current or 1.20)" ;;
  esac
}

minor_of() { local v=${1#v}; echo "${v%.*}"; }   # v1.37.2 -> 1.37
bin_dir() { echo "$CACHE_ROOT/k8s-$1/bin"; }

recipe_of() {
  if [[ "$1" == "$LEGACY_K8S" ]]; then
    echo "$1 recipe $LEGACY_RECIPE"
  else
    echo "$1 recipe $CURRENT_RECIPE"
  fi
}

is_built() {
  local dir b have
  dir=$(bin_dir "$1")
  # Caches made before recipes were recorded are recipe 1.
  have=$(cat "$dir/../recipe" 2>/dev/null || echo "$1 recipe 1")
  [[ "$have" == "$(recipe_of "$1")" ]] || return 1
  for b in etcd kube-apiserver kube-controller-manager; do
    [[ -x "$dir/$b" ]] || return 1
  done
}

# ---------------------------------------------------------------------------------------
# Installing what the builds need
# ---------------------------------------------------------------------------------------

APT_UPDATED=
apt_update_once() {
  [[ -n "$APT_UPDATED" ]] && return
  log "apt-get update"
  apt-get update -qq >&2
  APT_UPDATED=1
}

# Installs the Debian packages that are not installed yet.
ensure_apt_packages() {
  local missing=() p
  for p in "$@"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == *"install ok installed"* ]] ||
      missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  apt_update_once
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Commands that start needs; on a bare machine they come from Debian.
ensure_runtime_tools() {
  local pkgs=()
  command -v openssl >/dev/null || pkgs+=(openssl)
  command -v curl >/dev/null || pkgs+=(curl ca-certificates)
  command -v flock >/dev/null || pkgs+=(util-linux)
  ((${#pkgs[@]} == 0)) || ensure_apt_packages "${pkgs[@]}"
}

# apt-get source needs a deb-src entry; the image only has binary ones.
ensure_deb_src() {
  local f=/etc/apt/sources.list.d/kubectl-sa-kubeconfig-src.sources
  if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding a deb-src entry ($f)"
    local suite
    # shellcheck disable=SC1091
    suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
    cat >"$f" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    APT_UPDATED=
  fi
  apt_update_once
}

# The tools modules say "go 1.26.0": use the machine's Go when it is new enough, else
# let the go command fetch the one approved newer toolchain from the module proxy.
choose_go_toolchain() {
  local want="go1.26.0" have
  have=$(GOTOOLCHAIN=local go env GOVERSION)
  if [[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" == "$want" ]]; then
    export GOTOOLCHAIN=local
  else
    export GOTOOLCHAIN=$FALLBACK_TOOLCHAIN
  fi
  log "Go toolchain: $(go env GOVERSION) (GOTOOLCHAIN=$GOTOOLCHAIN)"
}

# ---------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------

# current release: kube-apiserver and kube-controller-manager from the tools module,
# etcd from its own tools module (its dependency set differs from kubernetes').
build_current() {
  local out=$1
  command -v go >/dev/null || die "go is not installed (expected at /usr/local/go/bin)"
  choose_go_toolchain
  export CGO_ENABLED=0   # static binaries, as upstream ships them

  local kdir="$TOOLS_DIR/tools-$CURRENT_K8S" edir="$TOOLS_DIR/tools-etcd-$CURRENT_ETCD"
  [[ -f "$kdir/go.mod" && -f "$edir/go.mod" ]] || die "missing tools module $kdir or $edir"

  local major minor build_date pkg ldflags=()
  minor=$(minor_of "$CURRENT_K8S"); major=${minor%%.*}; minor=${minor#*.}
  # The release's publication time, not now: the same inputs give the same binaries.
  build_date=$(cd "$kdir" &&
    go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
  # What hack/lib/version.sh stamps, so /version reports the real release.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=(-X "$pkg.gitVersion=$CURRENT_K8S" -X "$pkg.gitMajor=$major"
      -X "$pkg.gitMinor=$minor" -X "$pkg.buildDate=$build_date" -X "$pkg.gitTreeState=archive")
  done

  local cmd started
  for cmd in kube-apiserver kube-controller-manager; do
    log "building $cmd $CURRENT_K8S (several minutes on 2 cores)"
    started=$SECONDS
    (cd "$kdir" && go build -trimpath -tags selinux,notest,grpcnotrace \
      -ldflags "-s -w ${ldflags[*]}" -o "$out/$cmd" "k8s.io/kubernetes/cmd/$cmd")
    log "built $cmd in $((SECONDS - started)) s"
  done

  log "building etcd $CURRENT_ETCD"
  started=$SECONDS
  (cd "$edir" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
  log "built etcd in $((SECONDS - started)) s"
}

# 1.20: Debian's source package (full tree with vendor/) built by its own Makefile.
build_legacy() {
  local out=$1 work=$2
  ensure_deb_src
  # dpkg-dev unpacks the source package; rsync is used by the 1.20 Makefile.
  ensure_apt_packages golang-1.19-go rsync dpkg-dev etcd-server

  log "fetching Debian's kubernetes source package"
  (cd "$work" && apt-get source -qq kubernetes >&2)
  local src
  src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
  [[ -n "$src" && -f "$src/Makefile" ]] || die "apt-get source kubernetes gave no source tree"
  [[ "$(cd "$work" && ls ./*.dsc)" == *"$LEGACY_DEB_VERSION_MATCH"* ]] ||
    die "Debian's kubernetes source is not $LEGACY_K8S: $(cd "$work" && ls ./*.dsc)"

  patch_reflect2 "$src"

  # No .git in the tree: pin what /version reports instead of letting it guess.
  cat >"$work/version.env" <<EOF
KUBE_GIT_VERSION='$LEGACY_K8S'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='20'
KUBE_GIT_TREE_STATE='archive'
KUBE_GIT_COMMIT='faecb196815e248d3ecfb03c680a4507229c2a56'
EOF
  log "building kube-apiserver, kube-controller-manager $LEGACY_K8S with Go 1.19 (about 5 min)"
  local started=$SECONDS
  (cd "$src" && env PATH="$LEGACY_GO:$PATH" GOTOOLCHAIN=local CGO_ENABLED=0 \
    KUBE_GIT_VERSION_FILE="$work/version.env" \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2)
  log "built in $((SECONDS - started)) s"
  cp "$src/_output/bin/kube-apiserver" "$src/_output/bin/kube-controller-manager" "$out/"
  # Debian's etcd 3.4 is what 1.20 was released with.
  cp "$(command -v etcd || echo /usr/bin/etcd)" "$out/etcd"
}

# 1.20 vendors github.com/modern-go/reflect2 v1.0.1, which reads Go runtime internals that
# changed in Go 1.18: built with Go 1.19, the apiserver panics encoding any map to JSON
# (labels, ConfigMap and Secret data). v1.0.2 is the fix (kubernetes 1.21+ vendors it);
# swap it in from the Go module proxy and tell vendor/modules.txt and go.mod.
patch_reflect2() {
  local src=$1 ver=v1.0.2 mod
  mod=$(cd "$src/.." && "$LEGACY_GO/go" mod download -json "github.com/modern-go/reflect2@$ver" |
    sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [[ -n "$mod" && -f "$mod/reflect2.go" ]] ||
    die "could not fetch github.com/modern-go/reflect2@$ver"
  log "patching vendored github.com/modern-go/reflect2 v1.0.1 -> $ver (Go >= 1.18 fix)"
  rm -rf "$src/vendor/github.com/modern-go/reflect2"
  mkdir -p "$src/vendor/github.com/modern-go/reflect2"
  cp "$mod"/*.go "$mod"/*.s "$mod/LICENSE" "$src/vendor/github.com/modern-go/reflect2/"
  rm -f "$src"/vendor/github.com/modern-go/reflect2/*_test.go
  chmod -R u+w "$src/vendor/github.com/modern-go/reflect2"
  sed -i "s#=> github.com/modern-go/reflect2 v1.0.1\$#=> github.com/modern-go/reflect2 $ver#" \
    "$src/go.mod" "$src/vendor/modules.txt"
  grep -q "=> github.com/modern-go/reflect2 $ver" "$src/vendor/modules.txt" ||
    die "vendor/modules.txt has no reflect2 replace line to patch"
}

# Builds VERSION unless cached. A lock serialises concurrent callers; the build goes to
# a temp dir renamed into place at the end, so a half-finished build never looks finished.
build() {
  local version=$1 final tmp
  final="$CACHE_ROOT/k8s-$version"
  is_built "$version" && return 0
  mkdir -p "$CACHE_ROOT"
  ensure_runtime_tools
  exec 8>"$CACHE_ROOT/k8s-$version.lock"
  flock 8
  if is_built "$version"; then exec 8>&-; return 0; fi   # another caller just built it

  tmp=$(mktemp -d "$CACHE_ROOT/.k8s-$version.build.XXXXXX")
  # shellcheck disable=SC2064  # expand now: tmp is local
  trap "rm -rf $(printf %q "$tmp")" EXIT
  mkdir -p "$tmp/bin" "$tmp/work"
  local started=$SECONDS
  log "building $version into $tmp"
  if [[ "$version" == "$LEGACY_K8S" ]]; then
    build_legacy "$tmp/bin" "$tmp/work"
  else
    build_current "$tmp/bin"
  fi
  rm -rf "$tmp/work"
  recipe_of "$version" >"$tmp/recipe"
  "$tmp/bin/kube-apiserver" --version >&2
  "$tmp/bin/etcd" --version | head -n1 >&2
  rm -rf "$final"
  mv "$tmp" "$final"
  trap - EXIT
  exec 8>&-
  log "build of $version done in $((SECONDS - started)) s: $(bin_dir "$version")"
}

# ---------------------------------------------------------------------------------------
# Starting
# ---------------------------------------------------------------------------------------

# Local TCP ports in use, from /proc (no extra tools needed).
ports_in_use() {
  local _ addr
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | while read -r _ addr _; do
    [[ "$addr" == *:* ]] && echo $((16#${addr##*:}))
  done
}

# Picks N free loopback ports below the kernel's ephemeral range. Ports handed out in the
# last 10 minutes are remembered in the cache, so instances started at the same moment
# (before any of them listens) don't pick the same ones.
pick_ports() {
  local n=$1 now reserved="$CACHE_ROOT/reserved-ports" used picked=() p
  mkdir -p "$CACHE_ROOT"
  exec 9>"$CACHE_ROOT/reserved-ports.lock"
  flock 9
  now=$(date +%s)
  touch "$reserved"
  awk -v now="$now" '$1 > now - 600' "$reserved" >"$reserved.new" && mv "$reserved.new" "$reserved"
  used=" $(ports_in_use | tr '\n' ' ') $(awk '{print $2}' "$reserved" | tr '\n' ' ') "
  while ((${#picked[@]} < n)); do
    p=$((20000 + RANDOM % 12000))
    [[ "$used" == *" $p "* ]] && continue
    picked+=("$p"); used+="$p "
    echo "$now $p" >>"$reserved"
  done
  exec 9>&-
  echo "${picked[*]}"
}

# CA, apiserver serving certificate (with the SANs the tests dial), SA signing key pair.
make_certs() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kubectl-sa-kubeconfig-test-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  # Besides what tests dial, the in-cluster names and the kubernetes Service IP, as usual.
  local sans="IP:127.0.0.1,DNS:localhost,DNS:$TLS_NAME"
  sans+=",DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1"
  cat >"$d/apiserver.ext" <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$sans
EOF
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 3650 -extfile "$d/apiserver.ext" -out "$d/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
  rm -f "$d/apiserver.csr" "$d/apiserver.ext" "$d/ca.srl"
}

# kubeconfig FILE CLUSTER SERVER CA USER TOKEN
write_kubeconfig() {
  local file=$1 cluster=$2 server=$3 ca=$4 user=$5 token=$6
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $cluster
  cluster:
    server: $server
    certificate-authority: $ca
users:
- name: $user
  user:
    token: $token
contexts:
- name: $user@local
  context:
    cluster: $cluster
    user: $user
current-context: $user@local
EOF
  chmod 600 "$file"
}

# spawn DIR NAME BIN ARGS...: starts a daemon in its own session (so the caller's signals
# and terminal don't reach it), output to DIR/logs/NAME.log, pid appended to DIR/pids.
spawn() {
  local d=$1 name=$2; shift 2
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$d/run/$name.pid" "$@" \
    </dev/null >"$d/logs/$name.log" 2>&1 &
  for _ in $(seq 50); do [[ -s "$d/run/$name.pid" ]] && break; sleep 0.1; done
  [[ -s "$d/run/$name.pid" ]] || die "$name did not start"
  cat "$d/run/$name.pid" >>"$d/pids"
}

alive() { kill -0 "$1" 2>/dev/null; }

# wait_for DIR NAME DESCRIPTION CMD...: polls CMD until it succeeds, for START_TIMEOUT
# seconds; fails early when NAME's process died, printing its log tail.
wait_for() {
  local d=$1 name=$2 what=$3; shift 3
  local pid deadline=$((SECONDS + START_TIMEOUT))
  pid=$(cat "$d/run/$name.pid")
  until "$@"; do
    if ! alive "$pid"; then
      fail_start "$d" "$name exited while waiting for $what"
    fi
    if ((SECONDS >= deadline)); then
      fail_start "$d" "timed out after ${START_TIMEOUT}s waiting for $what"
    fi
    sleep 0.3
  done
}

# Prints the daemons' log tails and exits; the EXIT trap set by start stops them.
fail_start() {
  local d=$1 msg=$2 f
  log "error: $msg"
  for f in "$d"/logs/*.log; do
    log "---- last lines of $f"
    tail -n 25 "$f" >&2
  done
  exit 1
}

# EXIT trap of start: a start that did not finish (error, timeout, Ctrl-C) leaves no
# daemon behind; DIR stays for its logs.
START_OK=
on_start_exit() {
  [[ -n "$START_OK" ]] && return
  log "start failed: stopping what it started in $1 (logs kept there)"
  stop_instance "$1" || true
}

etcd_healthy() {
  local body
  body=$(curl -fsS --max-time 3 "http://127.0.0.1:$1/health" 2>/dev/null) &&
    [[ "$body" == *'"health":"true"'* ]]
}

# api_get URL PATH -> body on stdout, fails unless HTTP 200
api_get() {
  curl -fsS --max-time 5 --cacert "$CP_DIR/ca.crt" -H "Authorization: Bearer $CP_ADMIN_TOKEN" \
    "$1$2" 2>/dev/null
}
api_ok() { [[ "$(api_get "$1" "$2")" == ok ]]; }
api_exists() { api_get "$1" "$2" >/dev/null; }

start() {
  [[ $# -ge 2 ]] || usage
  local version dir max_exp=""
  version=$(resolve_version "$1")
  dir=$2; shift 2
  while (($#)); do
    case "$1" in
      --max-token-expiration) [[ $# -ge 2 ]] || usage; max_exp=$2; shift 2 ;;
      --max-token-expiration=*) max_exp=${1#*=}; shift ;;
      *) die "unknown option $1" ;;
    esac
  done

  build "$version"
  ensure_runtime_tools
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ -z "$(ls -A "$dir")" ]] || die "$dir is not empty: give start a new or empty directory"
  chmod 700 "$dir"
  umask 077
  mkdir -p "$dir/etcd" "$dir/logs" "$dir/run" "$dir/apiserver" "$dir/controller-manager"
  : >"$dir/pids"
  # shellcheck disable=SC2064  # expand now: dir is local
  trap "on_start_exit $(printf %q "$dir")" EXIT
  trap 'exit 130' INT TERM
  CP_DIR=$dir
  local started=$SECONDS bin
  bin=$(bin_dir "$version")

  make_certs "$dir"
  CP_ADMIN_TOKEN=$(openssl rand -hex 16)
  local alice_token
  alice_token=$(openssl rand -hex 16)
  # token,user,uid[,"groups"]: alice has no group, so RBAC refuses her almost everything.
  printf '%s,admin,admin-uid,"system:masters"\n%s,alice,alice-uid\n' \
    "$CP_ADMIN_TOKEN" "$alice_token" >"$dir/tokens.csv"

  local ports etcd_port peer_port api_port kcm_port
  ports=$(pick_ports 4)
  read -r etcd_port peer_port api_port kcm_port <<<"$ports"
  local server="https://127.0.0.1:$api_port"
  log "starting $version in $dir (apiserver $server, etcd $etcd_port)"

  start_etcd "$dir" "$bin" "$version" "$etcd_port" "$peer_port"
  wait_for "$dir" etcd "etcd to be healthy" etcd_healthy "$etcd_port"

  start_apiserver "$dir" "$bin" "$version" "$etcd_port" "$api_port" "$max_exp"
  wait_for "$dir" kube-apiserver "/readyz" api_ok "$server" /readyz

  write_kubeconfig "$dir/controller-manager.kubeconfig" "local-$version" "$server" "$dir/ca.crt" \
    admin "$CP_ADMIN_TOKEN"
  start_controller_manager "$dir" "$bin" "$version" "$kcm_port"
  # The default ServiceAccount and kube-root-ca.crt appear once the controllers run.
  wait_for "$dir" kube-controller-manager "the default ServiceAccount" \
    api_exists "$server" /api/v1/namespaces/default/serviceaccounts/default
  wait_for "$dir" kube-controller-manager "the kube-root-ca.crt ConfigMap" \
    api_exists "$server" /api/v1/namespaces/default/configmaps/kube-root-ca.crt

  # certificate-authority stays relative (ca.crt beside the file) on purpose: tests check
  # that the plugin embeds a CA that a kubeconfig gives as a file.
  write_kubeconfig "$dir/admin.kubeconfig" "local-$version" "$server" ca.crt admin "$CP_ADMIN_TOKEN"
  write_kubeconfig "$dir/alice.kubeconfig" "local-$version" "$server" ca.crt alice "$alice_token"

  local git_version
  git_version=$(api_get "$server" /version | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p')
  write_env "$dir" \
    KSA_SERVER "$server" KSA_VERSION "$git_version" KSA_CA_FILE "$dir/ca.crt" \
    KSA_ADMIN_TOKEN "$CP_ADMIN_TOKEN" KSA_ALICE_TOKEN "$alice_token" KSA_TLS_NAME "$TLS_NAME" \
    KSA_DIR "$dir" KSA_ADMIN_KUBECONFIG "$dir/admin.kubeconfig" \
    KSA_ALICE_KUBECONFIG "$dir/alice.kubeconfig" KSA_MAX_TOKEN_EXPIRATION "$max_exp"
  START_OK=1
  log "$git_version ready in $((SECONDS - started)) s"
  echo "$dir"
}

# write_env DIR KEY VALUE...: KEY=VALUE lines, quoted only where a value needs it.
write_env() {
  local d=$1; shift
  : >"$d/env"
  while (($#)); do
    if [[ "$2" =~ ^[A-Za-z0-9_./:@%+=,-]*$ ]]; then
      printf '%s=%s\n' "$1" "$2" >>"$d/env"
    else
      printf '%s=%q\n' "$1" "$2" >>"$d/env"
    fi
    shift 2
  done
}

# Flags a binary accepts, read from its --help (1.20 and current differ).
has_flag() {
  local help
  help=$("$1" --help 2>&1 || true)
  grep -Eq -- "(^|[[:space:]])--$2[ =]" <<<"$help"
}

start_etcd() {
  local d=$1 bin=$2 version=$3 port=$4 peer=$5
  local args=(
    --name=default --data-dir="$d/etcd"
    --listen-client-urls="http://127.0.0.1:$port" --advertise-client-urls="http://127.0.0.1:$port"
    --listen-peer-urls="http://127.0.0.1:$peer"
    --initial-advertise-peer-urls="http://127.0.0.1:$peer"
    --initial-cluster="default=http://127.0.0.1:$peer" --initial-cluster-state=new
    --logger=zap
  )
  # Test data is thrown away: skipping fsync makes start-up and writes much faster.
  has_flag "$bin/etcd" unsafe-no-fsync && args+=(--unsafe-no-fsync)
  spawn "$d" etcd "$bin/etcd" "${args[@]}"
}

start_apiserver() {
  local d=$1 bin=$2 version=$3 etcd_port=$4 port=$5 max_exp=$6
  # shellcheck disable=SC2054  # the commas are inside flag values
  local args=(
    --etcd-servers="http://127.0.0.1:$etcd_port"
    --bind-address=127.0.0.1 --secure-port="$port" --advertise-address=127.0.0.1
    # The "kubernetes" Service endpoints can't be a loopback address: don't reconcile them.
    --endpoint-reconciler-type=none
    --service-cluster-ip-range=10.0.0.0/24
    --cert-dir="$d/apiserver"
    --tls-cert-file="$d/apiserver.crt" --tls-private-key-file="$d/apiserver.key"
    --client-ca-file="$d/ca.crt"
    --token-auth-file="$d/tokens.csv"
    --authorization-mode=Node,RBAC
    --service-account-key-file="$d/sa.pub"
    --service-account-signing-key-file="$d/sa.key"
    --service-account-issuer=https://kubernetes.default.svc
  )
  # Otherwise pod-bound tokens may be silently extended to a year; tests want real expiries.
  has_flag "$bin/kube-apiserver" service-account-extend-token-expiration &&
    args+=(--service-account-extend-token-expiration=false)
  [[ -n "$max_exp" ]] && args+=(--service-account-max-token-expiration="$max_exp")
  # 1.20 still has a (hidden) insecure port flag; make sure it's off. Removed in 1.24.
  [[ "$version" == "$LEGACY_K8S" ]] && args+=(--insecure-port=0)
  spawn "$d" kube-apiserver "$bin/kube-apiserver" "${args[@]}"
}

start_controller_manager() {
  local d=$1 bin=$2 version=$3 port=$4
  local kc="$d/controller-manager.kubeconfig"
  local args=(
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc"
    --bind-address=127.0.0.1 --secure-port="$port"
    # Its self-signed serving cert would otherwise go to /var/run/kubernetes, shared by all.
    --cert-dir="$d/controller-manager"
    --leader-elect=false
    --controllers='*'
    # Token controller (legacy token Secrets) and root-ca-cert-publisher (kube-root-ca.crt).
    --service-account-private-key-file="$d/sa.key" --root-ca-file="$d/ca.crt"
    --cluster-signing-cert-file="$d/ca.crt" --cluster-signing-key-file="$d/ca.key"
  )
  # 1.20 opens an insecure port 10252 by default, which two instances would fight over.
  has_flag "$bin/kube-controller-manager" port && args+=(--port=0)
  spawn "$d" kube-controller-manager "$bin/kube-controller-manager" "${args[@]}"
}

# ---------------------------------------------------------------------------------------
# Stopping
# ---------------------------------------------------------------------------------------

# A pid from DIR/pids is ours only if its command line names DIR (every daemon gets paths
# inside DIR): a recycled pid belonging to something else is left alone.
owned_pid() {
  local pid=$1 d=$2
  local cmdline
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == *"$d/"* ]]
}

# term_and_wait DIR PID...: TERM, then KILL what is still running after 20 s.
term_and_wait() {
  local d=$1 pid left=(); shift
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  for _ in $(seq 100); do
    left=()
    for pid in "$@"; do owned_pid "$pid" "$d" && left+=("$pid"); done
    ((${#left[@]})) || return 0
    sleep 0.2
  done
  log "still running after 20 s, killing: ${left[*]}"
  kill -KILL "${left[@]}" 2>/dev/null || true
}

# The apiserver and controller-manager first, etcd last: an apiserver that loses etcd
# first spends its whole grace period retrying it.
stop_instance() {
  local d=$1 pid clients=() etcd=()
  [[ -f "$d/pids" ]] || return 0
  while read -r pid; do
    owned_pid "$pid" "$d" || continue
    if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == etcd ]]; then
      etcd+=("$pid")
    else
      clients+=("$pid")
    fi
  done <"$d/pids"
  term_and_wait "$d" "${clients[@]}"
  term_and_wait "$d" "${etcd[@]}"
}

stop() {
  [[ $# -eq 1 ]] || usage
  [[ -d "$1" ]] || die "no such directory: $1"
  local d
  d=$(cd "$1" && pwd)
  [[ -f "$d/pids" ]] || die "$d/pids not found"
  stop_instance "$d"
  log "stopped $d"
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd=$1; shift
  case "$cmd" in
    versions) printf '%s\n%s\n' "$CURRENT_K8S" "$LEGACY_K8S" ;;
    build)
      [[ $# -eq 1 ]] || usage
      local version
      version=$(resolve_version "$1")
      build "$version"
      log "binaries: $(bin_dir "$version")"
      ;;
    start) start "$@" ;;
    stop) stop "$@" ;;
    *) usage ;;
  esac
}

# exit on the same line: bash must not read on if this file is edited while it runs
main "$@"; exit
