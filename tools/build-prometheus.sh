#!/usr/bin/env bash
# Builds the real Prometheus server and promtool (see build-from-proxy.sh) in
# one go, since promtool alone takes minutes cold, and prints both paths:
# prometheus first, then promtool. The version is pinned here: rbgen's own
# module does not depend on Prometheus.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${RBGEN_PROMETHEUS_VERSION:-v0.316.0}"
exec bash tools/build-from-proxy.sh rbgen-prometheus github.com/prometheus/prometheus "$version" cmd/prometheus cmd/promtool
