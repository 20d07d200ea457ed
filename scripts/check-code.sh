#!/usr/bin/env bash
# Fails on code patterns this project keeps out (see README, "How the code is laid out"):
# - only src/main.ts ends the process;
# - only src/log.ts and src/kubeconfig/write.ts touch the console or the standard streams,
#   so nothing can print a token by accident;
# - a TODO says what is missing and when it can go: a bare "TODO" or "TODO:" is refused;
# - no source line is longer than 100 columns.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
check() { # description, grep output
  if [[ -n "$2" ]]; then
    printf 'check-code: %s\n%s\n' "$1" "$2" >&2
    fail=1
  fi
}

check "only src/main.ts may end the process" \
  "$(grep -rn 'process\.exit' src | grep -v '^src/main\.ts:' || true)"
check "only src/log.ts and src/kubeconfig/write.ts may use the console or the streams" \
  "$(grep -rnE 'console\.|process\.(stdout|stderr)' src \
      | grep -vE '^src/(log|kubeconfig/write)\.ts:' || true)"
check "a TODO must say what is missing and when the mark can go" \
  "$(grep -rnE 'TODO:?\s*$' src test scripts --include='*.ts' --include='*.mjs' --include='*.sh' \
      | grep -v 'check-code.sh' || true)"
check "lines must stay within 100 columns" \
  "$(grep -rnE '^.{101,}$' src --include='*.ts' || true)"
exit "$fail"
