#!/usr/bin/env bash
# An SPDX 2.2 SBOM of a published operator (hack/publish.sh's output): every file with its SHA-256 and SHA-1, and
# every NuGet package it was built from (read from the restore's project.assets.json), written to
# <published-dir>/_manifest/spdx_2.2/manifest.spdx.json, where the image keeps it (/app/_manifest).
# Made by Microsoft's sbom-tool (NuGet package Microsoft.Sbom.DotNetTool, pinned in .config/dotnet-tools.json), which
# works offline. It targets .NET 8; DOTNET_ROLL_FORWARD lets it run on the SDK's newer runtime.
# Usage: hack/sbom.sh <published-dir> [version]
set -euo pipefail
dir=${1:?usage: hack/sbom.sh <published-dir> [version]}
dir=$(cd "$dir" && pwd)
test -f "$dir/QuayIntegration.Operator" || { echo "hack/sbom.sh: $dir holds no published operator (QuayIntegration.Operator); run hack/publish.sh first" >&2; exit 1; }
cd "$(dirname "$0")/.."
version=${2:-$(sed -n 's/^ *newTag: *//p' deploy/base/kustomization.yaml | head -1)}
rm -rf "$dir/_manifest"
dotnet tool restore >/dev/null
DOTNET_ROLL_FORWARD=Major dotnet sbom-tool generate \
  -b "$dir" \
  -bc src/QuayIntegration.Operator \
  -pn quay-integration-operator \
  -pv "$version" \
  -ps "QuayIntegration maintainers" \
  -nsb https://quay.io/quay-integration/operator \
  -V Warning
test -f "$dir/_manifest/spdx_2.2/manifest.spdx.json"
