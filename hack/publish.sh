#!/usr/bin/env bash
# The one publish command of the operator. The Dockerfile runs it, and so does .ci/run, so the
# image build is exercised even on machines without a Docker engine.
# Usage: hack/publish.sh <output-dir>
set -euo pipefail
out=${1:?usage: hack/publish.sh <output-dir>}
cd "$(dirname "$0")/.."
dotnet publish src/QuayIntegration.Operator/QuayIntegration.Operator.csproj \
  --configuration Release \
  --output "$out" \
  -p:UseAppHost=false \
  -p:DebugType=none \
  -p:GenerateDocumentationFile=false
