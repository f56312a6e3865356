#!/usr/bin/env bash
# Builds the real Grafana Tempo server from the Go module proxy, at the
# version go.mod pins, into a cache outside the repository, and prints the
# binary's path. Reuses the binary when it is already there.
#
# Tempo cannot be built inside rbgen's module (its dependency graph does not
# compile there) and its Makefile wants a vendor directory the module zip
# lacks, so it is built as its own module from a writable copy.
set -euo pipefail
version=$(go list -m -f '{{.Version}}' github.com/grafana/tempo)
cache="${RBGEN_TEMPO_CACHE:-$(go env GOCACHE)/../rbgen-tempo}"
bin="$cache/tempo-$version"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
echo "building Tempo $version (a few minutes the first time)" >&2
dir=$(GONOSUMDB=github.com/grafana/tempo GOFLAGS=-mod=mod go mod download -json "github.com/grafana/tempo@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
  echo "build-tempo: could not download github.com/grafana/tempo@$version" >&2
  exit 1
fi
src="$cache/src-$version"
rm -rf "$src" "$src.tmp"
cp -R "$dir" "$src.tmp"
chmod -R u+w "$src.tmp"
mv "$src.tmp" "$src"
(cd "$src" && GONOSUMDB=github.com/grafana/tempo GOFLAGS=-mod=mod go build -o "$bin.tmp" ./cmd/tempo)
mv "$bin.tmp" "$bin"
rm -rf "$src"
echo "$bin"
