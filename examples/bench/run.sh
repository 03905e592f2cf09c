#!/usr/bin/env bash
# run.sh: the comparison of examples/bench in one run. It builds the
# benchmark servers (ssemicro: go-micro-sse; r3labs: r3labs/sse; gosse:
# tmaxmax/go-sse; writeperevent: one write(2) per event per connection, no
# library; limit: the least work a Go server can do, one writev of the
# shared frames per connection and wake-up, no library) and the load
# generator, then loads each server REPS times, in turn, each run on a fresh
# server process, and prints one JSON line per run, then the medians and the
# ratios to ssemicro and to limit (> 1: the reference needs less).
#
#   ./run.sh                                  # CONNS=2000 N=200 RATE=100 SIZE=100 REPS=5
#   CONNS=5000 REPS=5 ./run.sh
#   SERVERS="ssemicro limit" ./run.sh         # a subset (ratios to those of them run)
#   ./run.sh -settle 2s                       # extra flags go to loadgen
set -euo pipefail
cd "$(dirname "$0")"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
servers=(${SERVERS:-ssemicro r3labs gosse writeperevent limit})
pkgs=()
paths=()
for s in "${servers[@]}"; do
	pkgs+=("./cmd/$s")
	paths+=("$bin/$s")
done
go build -o "$bin/" "${pkgs[@]}" ./cmd/loadgen
echo "# $(date -u +%FT%TZ) $(go version | cut -d' ' -f3) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/loadgen" -server "$(IFS=,; echo "${paths[*]}")" -ref ssemicro,limit \
	-conns "${CONNS:-2000}" -n "${N:-200}" -rate "${RATE:-100}" -size "${SIZE:-100}" \
	-reps "${REPS:-5}" "$@"
echo "# end $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
