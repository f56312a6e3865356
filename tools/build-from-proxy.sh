#!/usr/bin/env bash
# Builds commands of a Go module fetched from the module proxy, in a writable
# copy of the module's own directory (outside rbgen's module, whose
# dependency graph would not compile them), into a cache outside the
# repository. Reuses binaries that are already there and prints their paths.
#
#   build-from-proxy.sh CACHE_NAME MODULE VERSION CMD_DIR...
#
# Binaries land in $(go env GOCACHE)/../CACHE_NAME/<base of CMD_DIR>-VERSION
# (RBGEN_TOOLS_CACHE overrides the parent folder). GOWORK=off because some
# modules (Prometheus) ship a go.work that names directories the module zip
# lacks; GOFLAGS=-mod=mod because their Makefiles want a vendor directory.
# A module the checksum database does not know (Tempo's pinned pseudo-
# version) is named in GONOSUMDB by its caller; every other download is
# verified as usual.
set -euo pipefail
name=$1 module=$2 version=$3
shift 3
cache="${RBGEN_TOOLS_CACHE:-$(go env GOCACHE)/..}/$name"
mkdir -p "$cache"
missing=()
for cmd in "$@"; do
  [ -x "$cache/$(basename "$cmd")-$version" ] || missing+=("$cmd")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "building $module $version: ${missing[*]} (a few minutes the first time)" >&2
  export GOFLAGS=-mod=mod GOWORK=off
  dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "build-from-proxy: could not download $module@$version" >&2
    exit 1
  fi
  src="$cache/src-$version"
  rm -rf "$src" "$src.tmp"
  cp -R "$dir" "$src.tmp"
  chmod -R u+w "$src.tmp"
  mv "$src.tmp" "$src"
  for cmd in "${missing[@]}"; do
    bin="$cache/$(basename "$cmd")-$version"
    (cd "$src" && go build -o "$bin.tmp" "./$cmd")
    mv "$bin.tmp" "$bin"
  done
  rm -rf "$src"
fi
for cmd in "$@"; do
  echo "$cache/$(basename "$cmd")-$version"
done
