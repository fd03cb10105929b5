#!/usr/bin/env bash
# Makes the OLM bundle (bundle/manifests, bundle/metadata, bundle.Dockerfile) and the file-based catalog
# (catalog/quay-integration/catalog.yaml) from deploy/ and hack/bundle/ (csv-base.yaml: the CSV's words, icon and
# feature claims). Never edit those outputs by hand: change deploy/ or hack/bundle/ and run this again.
#   hack/generate-bundle.sh            write the files
#   hack/generate-bundle.sh --check    write nothing; exit 1 naming every file that differs (tests do the same)
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project hack/BundleGenerator/BundleGenerator.csproj -v q -- "$@" "$PWD"
