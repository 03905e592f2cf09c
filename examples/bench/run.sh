#!/usr/bin/env bash
# run.sh: the comparison of examples/bench in one run. It builds the
# benchmark servers (ssemicro: go-micro-sse; r3labs: r3labs/sse; gosse:
# tmaxmax/go-sse; floor: one write(2) per event per connection, no library)
# and the load generator, then loads each server REPS times,
# in turn, each run on a fresh server process, and prints one JSON line per
# run, then the medians and the ratios to ssemicro (> 1: ssemicro needs
# less).
#
#   ./run.sh                                  # CONNS=2000 N=200 RATE=100 SIZE=100 REPS=5
#   CONNS=5000 REPS=5 ./run.sh
#   ./run.sh -settle 2s                       # extra flags go to loadgen
set -euo pipefail
cd "$(dirname "$0")"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/" ./cmd/ssemicro ./cmd/r3labs ./cmd/gosse ./cmd/floor ./cmd/loadgen
echo "# $(date -u +%FT%TZ) $(go version | cut -d' ' -f3) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/loadgen" -server "$bin/ssemicro,$bin/r3labs,$bin/gosse,$bin/floor" \
	-conns "${CONNS:-2000}" -n "${N:-200}" -rate "${RATE:-100}" -size "${SIZE:-100}" \
	-reps "${REPS:-5}" "$@"
