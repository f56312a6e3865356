#!/usr/bin/env bash
# rbgen graph against the OpenTelemetry Collector's servicegraphconnector
# (tools/collectorbench, its own module) on the same OTLP JSON week of
# about 150,000 spans: whole processes, alternating runs, median wall time
# and peak RSS of each. Then rbgen's peak RSS on ten weeks streamed
# through a pipe, against one week the same way: memory must not follow
# the input. Everything is built and generated once per machine, under
# $(go env GOCACHE)/../rbgen-collectorbench.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-9}
work="$(go env GOCACHE)/../rbgen-collectorbench"
mkdir -p "$work"
go build -o "$work/rbgen" ./cmd/rbgen
(cd tools/collectorbench && GONOSUMDB=github.com/open-telemetry go build -o "$work/collectorbench" .)
week="$work/week-112.otlp.jsonl"
[ -s "$week" ] || "$work/rbgen" demo --days 7 --peak-per-hour 112 --out "$week"
echo "input: $(du -m "$week" | cut -f1) MB, $(wc -l <"$week") lines; $(nproc) cores; $runs alternating runs each"

# one CMD... prints "seconds maxrss_kb" of one run.
one() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$work/rbgen.times"; : >"$work/collector.times"
for i in $(seq "$runs"); do
	one "$work/rbgen" graph --format json "$week" >>"$work/rbgen.times"
	one "$work/collectorbench" "$week" >>"$work/collector.times"
done
r=$(cut -d' ' -f1 "$work/rbgen.times" | median)
c=$(cut -d' ' -f1 "$work/collector.times" | median)
rm=$(cut -d' ' -f2 "$work/rbgen.times" | median)
cm=$(cut -d' ' -f2 "$work/collector.times" | median)
echo "rbgen graph:              median ${r} s, peak RSS $((rm / 1024)) MB"
echo "servicegraphconnector:    median ${c} s, peak RSS $((cm / 1024)) MB"
awk -v r="$r" -v c="$c" 'BEGIN {printf "rbgen is %.2fx the Collector'"'"'s speed\n", c / r}'

# Peak memory as the input grows tenfold, streamed so no file holds it.
peak() { "$work/rbgen" demo --days "$1" --peak-per-hour 112 --out - | /usr/bin/time -f "%M" "$work/rbgen" graph --format json --input - 2>&1 >/dev/null | tail -1; }
small=$(peak 7)
big=$(peak 70)
echo "peak RSS: 7 days $((small / 1024)) MB, 70 days $((big / 1024)) MB"
awk -v s="$small" -v b="$big" 'BEGIN {printf "ten times the input takes %.2fx the memory\n", b / s}'
