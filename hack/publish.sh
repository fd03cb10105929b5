#!/usr/bin/env bash
# The one publish command of the operator. The Dockerfile runs it, and so does .ci/run, so the
# image build is exercised even on machines without a Docker engine; the benchmark harness measures its output.
# ReadyToRun: the operator's code and its libraries are compiled ahead of time for this machine's architecture, so a
# start (and the first minutes of work) does not spend its CPU in the JIT.
# Usage: hack/publish.sh <output-dir>
set -euo pipefail
out=${1:?usage: hack/publish.sh <output-dir>}
cd "$(dirname "$0")/.."
case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64 | arm64) rid=linux-arm64 ;;
  *) echo "hack/publish.sh: no ReadyToRun target for architecture $(uname -m)" >&2; exit 1 ;;
esac
dotnet publish src/QuayIntegration.Operator/QuayIntegration.Operator.csproj \
  --configuration Release \
  --output "$out" \
  --runtime "$rid" \
  --self-contained false \
  -p:PublishReadyToRun=true \
  -p:UseAppHost=false \
  -p:DebugType=none \
  -p:GenerateDocumentationFile=false
