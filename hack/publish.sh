#!/usr/bin/env bash
# The one publish command of the operator. The Dockerfile runs it, and so does .ci/run, so the
# image build is exercised even on machines without a Docker engine; the benchmark harness measures its output.
# ReadyToRun: the operator's code and its libraries are compiled ahead of time for the target architecture, so a
# start (and the first minutes of work) does not spend its CPU in the JIT. The target is the image's platform
# (the Dockerfile passes BuildKit's TARGETARCH), so one builder makes both images of a multi-arch publish
# (crossgen compiles arm64 code on an amd64 host and the other way round); without one, the host's architecture.
# Native AOT (hack/publish-aot.sh) was measured against this build and is faster and smaller, but is not shipped:
# its compile does not fit in CI, and its cross-architecture build is unverified (README, Benchmarks, "Native AOT").
# Usage: hack/publish.sh <output-dir> [amd64|arm64]
set -euo pipefail
out=${1:?usage: hack/publish.sh <output-dir> [amd64|arm64]}
arch=${2:-${TARGETARCH:-}}
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
fi
case "$arch" in
  amd64) rid=linux-x64 ;;
  arm64) rid=linux-arm64 ;;
  *) echo "hack/publish.sh: no ReadyToRun target for architecture '$arch' (amd64 or arm64)" >&2; exit 1 ;;
esac
cd "$(dirname "$0")/.."
dotnet publish src/QuayIntegration.Operator/QuayIntegration.Operator.csproj \
  --configuration Release \
  --output "$out" \
  --runtime "$rid" \
  --self-contained false \
  -p:PublishReadyToRun=true \
  -p:UseAppHost=false \
  -p:DebugType=none \
  -p:GenerateDocumentationFile=false
