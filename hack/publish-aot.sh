#!/usr/bin/env bash
# Native AOT publish of the operator (measured, not the shipped build: hack/publish.sh is; why: README, Benchmarks).
# One self-contained native executable, <output-dir>/QuayIntegration.Operator, for linux-x64. Needs clang (or gcc) and zlib1g-dev on the host.
# The csproj switches to AOT only with -p:QuayAot=true, so every other build is untouched.
# Usage: hack/publish-aot.sh <output-dir>
set -euo pipefail
out=${1:?usage: hack/publish-aot.sh <output-dir>}
cd "$(dirname "$0")/.."
dotnet publish src/QuayIntegration.Operator/QuayIntegration.Operator.csproj \
  --configuration Release \
  --output "$out" \
  --runtime linux-x64 \
  -p:QuayAot=true \
  -p:DebugType=none \
  -p:GenerateDocumentationFile=false \
  "${@:2}"
