#!/usr/bin/env bash
# Builds the real Grafana Tempo server at the version go.mod pins (see
# build-from-proxy.sh) and prints the binary's path. Tempo's own Makefile
# wants a vendor directory the module zip lacks, so it is built as a plain
# module.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(go list -m -f '{{.Version}}' github.com/grafana/tempo)
# The checksum database does not know this pseudo-version.
GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/grafana/tempo" \
  exec bash tools/build-from-proxy.sh rbgen-tempo github.com/grafana/tempo "$version" cmd/tempo
