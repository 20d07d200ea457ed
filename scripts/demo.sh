#!/usr/bin/env bash
# The main job end to end, for someone without a cluster: starts a local control plane (building
# it on first use), runs the plugin as a platform engineer would, prints the kubeconfig it wrote
# (token shortened) and proves it works with kubectl, then stops the control plane.
#
#   npm run demo              against the current Kubernetes release
#   npm run demo -- 1.20      against v1.20.2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

version=${1:-current}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ksa-demo-XXXXXX")
# Absolute paths: the demo runs in $dir/work by then.
trap 'bash "$root/scripts/control-plane.sh" stop "$dir" >/dev/null; rm -rf "$dir"' EXIT

[[ -f dist/kubectl-sa_kubeconfig.cjs ]] || node scripts/build.mjs --bundle-only
bash scripts/control-plane.sh start "$version" "$dir" >/dev/null
mkdir -m 0700 "$dir/work"
cd "$dir/work"
export KUBECONFIG="$dir/admin.kubeconfig"
plugin() { node "$root/dist/kubectl-sa_kubeconfig.cjs" "$@"; }
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say kubectl sa-kubeconfig jenkins -n automation --create-namespace --clusterrole edit \
  --duration 24h --output-file jenkins.kubeconfig
plugin jenkins -n automation --create-namespace --clusterrole edit --duration 24h \
  --output-file jenkins.kubeconfig

say ls -l jenkins.kubeconfig
ls -l jenkins.kubeconfig

say "cat jenkins.kubeconfig   # token shortened here"
sed -E 's/(token: .{12}).*/\1.../; s/(certificate-authority-data: .{24}).*/\1.../' jenkins.kubeconfig

say kubectl --kubeconfig jenkins.kubeconfig get pods -n automation
kubectl --kubeconfig jenkins.kubeconfig get pods -n automation

say kubectl --kubeconfig jenkins.kubeconfig auth can-i create deployments -n automation
kubectl --kubeconfig jenkins.kubeconfig auth can-i create deployments -n automation

say kubectl --kubeconfig jenkins.kubeconfig get nodes
if kubectl --kubeconfig jenkins.kubeconfig get nodes; then
  echo "unexpected: the account can list nodes" >&2
  exit 1
fi

say "kubectl sa-kubeconfig jenkins ... --force   # the same again: only the token is new"
plugin jenkins -n automation --create-namespace --clusterrole edit --duration 24h \
  --output-file jenkins.kubeconfig --force
printf '\ndemo done: the kubeconfig works, and the account can do only what was granted\n'
