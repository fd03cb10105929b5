#!/usr/bin/env bash
# Runs the operator from source against the cluster of a kubeconfig (a real cluster, or the sandbox's
# .sandbox/kubeconfig while `dotnet run --project tests/QuayIntegration.Sandbox -- --stay` is up).
# The cluster cannot call a webhook on your machine, so the webhook is off unless you pass --webhook.
# Usage: hack/run-local.sh [--kubeconfig PATH] [--webhook] [operator flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
kubeconfig=${KUBECONFIG:-$HOME/.kube/config}
webhook=false
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig) kubeconfig=${2:?--kubeconfig needs a path}; shift 2 ;;
    --webhook) webhook=true; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
[ -f "$kubeconfig" ] || { echo "run-local: no kubeconfig at $kubeconfig (pass --kubeconfig)" >&2; exit 1; }
if [ "$webhook" = false ]; then export DISABLE_WEBHOOK=true; fi
exec dotnet run --project src/QuayIntegration.Operator -- \
  --kubeconfig "$kubeconfig" --leader-elect false --bind-address 127.0.0.1 --metrics-port 8080 "${args[@]}"
