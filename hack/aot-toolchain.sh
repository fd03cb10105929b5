#!/usr/bin/env bash
# What hack/publish.sh's Native AOT compile needs besides the .NET SDK, installed with apt on Debian 12+ or Ubuntu
# 24.04+ (deb822 sources):
# a C toolchain and zlib for the host, and, for an image of another architecture than the host's (a multi-arch
# build), that architecture's cross binutils, C runtime and zlib (the linker's inputs).
# The Dockerfile's build stage runs it for the image's platform; .ci/run runs it for the arm64 publish test.
# Usage: hack/aot-toolchain.sh [amd64|arm64]    (default: the host's)   Needs root.
set -euo pipefail
host=$(dpkg --print-architecture)
target=${1:-$host}
case "$target" in
  amd64) triple=x86_64-linux-gnu ;;
  arm64) triple=aarch64-linux-gnu ;;
  *) echo "hack/aot-toolchain.sh: no Native AOT target for architecture '$target' (amd64 or arm64)" >&2; exit 1 ;;
esac
packages=(clang zlib1g-dev)
if [ "$target" = "$host" ] && command -v clang >/dev/null && dpkg -s zlib1g-dev >/dev/null 2>&1; then
  exit 0 # the SDK's -aot image, or a machine set up before: nothing to add
fi
if [ "$target" != "$host" ]; then
  dpkg --add-architecture "$target"
  . /etc/os-release
  if [ "${ID:-}" = ubuntu ] && [ -f /etc/apt/sources.list.d/ubuntu.sources ]; then
    # Ubuntu serves amd64 from archive.ubuntu.com and arm64 from ports.ubuntu.com: each source says which it serves.
    if ! grep -q '^Architectures:' /etc/apt/sources.list.d/ubuntu.sources; then
      sed -i "/^Signed-By:/a Architectures: $host" /etc/apt/sources.list.d/ubuntu.sources
    fi
    if [ "$target" = arm64 ]; then mirror=http://ports.ubuntu.com/ubuntu-ports/; else mirror=http://archive.ubuntu.com/ubuntu/; fi
    cat > "/etc/apt/sources.list.d/$target.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $VERSION_CODENAME $VERSION_CODENAME-updates
Components: main restricted
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
Architectures: $target
SOURCES
  fi
  # Package names spell the triple with hyphens: gcc-aarch64-linux-gnu, gcc-x86-64-linux-gnu.
  packages+=("gcc-${triple//_/-}" "zlib1g-dev:$target")
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
