#!/usr/bin/env bash
# The one publish command of the operator. The Dockerfile runs it, and so does .ci/run, so the image build is
# exercised even on machines without a Docker engine; the benchmark harness measures its output.
# Native AOT: one self-contained executable, <output-dir>/QuayIntegration.Operator, compiled ahead of time for the
# target architecture with the code nothing reaches trimmed away. No JIT at start or later, so it is ready sooner
# and spends less CPU and memory than the ReadyToRun build it replaced (figures: README, Benchmarks). The target is
# the image's platform (the Dockerfile passes BuildKit's TARGETARCH), so one builder makes both images of a multi-arch
# publish; without one, the host's architecture. The native link needs a C toolchain and zlib, and for the other
# architecture its cross binutils, C runtime and zlib: hack/aot-toolchain.sh installs them.
# Usage: hack/publish.sh <output-dir> [amd64|arm64]
set -euo pipefail
out=${1:?usage: hack/publish.sh <output-dir> [amd64|arm64]}
arch=${2:-${TARGETARCH:-}}
case "$(uname -m)" in
  x86_64) host=amd64 ;;
  aarch64 | arm64) host=arm64 ;;
  *) host=$(uname -m) ;;
esac
arch=${arch:-$host}
case "$arch" in
  amd64) rid=linux-x64 ;;
  arm64) rid=linux-arm64 ;;
  *) echo "hack/publish.sh: no Native AOT target for architecture '$arch' (amd64 or arm64)" >&2; exit 1 ;;
esac
linker=()
if [ "$arch" != "$host" ]; then
  # Cross-linking takes clang (it is given the target's triple); Debian and Ubuntu may install it only as clang-<N>.
  clang=$(command -v clang || ls /usr/bin/clang-[0-9]* 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$clang" ] || { echo "hack/publish.sh: building for $arch on $host needs clang and the $arch toolchain (hack/aot-toolchain.sh $arch)" >&2; exit 1; }
  linker=(-p:CppCompilerAndLinker="$clang")
fi
cd "$(dirname "$0")/.."
dotnet publish src/QuayIntegration.Operator/QuayIntegration.Operator.csproj \
  --configuration Release \
  --output "$out" \
  --runtime "$rid" \
  -p:QuayAot=true \
  -p:DebugType=none \
  -p:GenerateDocumentationFile=false \
  "${linker[@]}"
