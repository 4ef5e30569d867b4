#!/usr/bin/env bash
# Reproduces the trace-store figures: builds release binaries, simulates an OpenStack testbed
# for SIM_DURATION (default 1h) with `strata generate`, and runs TraceBench on its traces scaled up
# to SPANS spans (default 10 M; replicas with fresh ids, shifted in time so the density per hour
# stays the simulator's). TraceBench prints: event JSON bytes per span (the raw anchor), ingest
# spans/s on one core from event JSON (parse, pair, store, flush), bytes per span on disk
# (everything in the store directory), trace-by-base_id latency (warm, p50/p99) and the search for
# slow glance requests in an hour window (median/p99). Also times `strata ingest` of the
# simulator's own file as a CLI cross-check.
#
#   Tools/bench-traces.sh                  # 10 M spans: about 15 GB of event JSON streamed, ~3 GB RAM
#   SPANS=1000000 Tools/bench-traces.sh    # a quicker run
#
# Environment: STRATA_ROOT_SCRATCH (default .build), STRATA_BENCH_SCRATCH (default .build-bench),
# STRATA_BENCH_DIR (scratch data, default $TMPDIR/strata-bench-traces, removed at the end),
# SPANS, SIM_DURATION, LOOKUPS (default 2000), SEARCHES (default 50).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROOT_SCRATCH=${STRATA_ROOT_SCRATCH:-$ROOT/.build}
BENCH_SCRATCH=${STRATA_BENCH_SCRATCH:-$ROOT/.build-bench}
WORK=${STRATA_BENCH_DIR:-${TMPDIR:-/tmp}/strata-bench-traces}
SPANS=${SPANS:-10000000}
SIM_DURATION=${SIM_DURATION:-1h}
LOOKUPS=${LOOKUPS:-2000}
SEARCHES=${SEARCHES:-50}

log() { printf '%s\n' "$*" >&2; }
quiet_build() {
    local out
    if ! out=$("$@" 2>&1); then
        printf '%s\n' "$out" | tail -40 >&2
        log "bench-traces: build failed: $*"
        exit 1
    fi
}

log "building release binaries (strata, TraceBench)..."
quiet_build swift build -c release --package-path "$ROOT" --scratch-path "$ROOT_SCRATCH" --product strata
quiet_build swift build -c release --package-path "$ROOT/Benchmarks" --scratch-path "$BENCH_SCRATCH" --product TraceBench
STRATA="$ROOT_SCRATCH/release/strata"
BENCH="$BENCH_SCRATCH/release/TraceBench"

rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
log "simulating $SIM_DURATION of the testbed..."
"$STRATA" generate "$WORK/sim" --duration "$SIM_DURATION" --seed 1 > /dev/null
TRACES="$WORK/sim/traces/osprofiler.jsonl"

echo "== strata ingest of the simulator's file (CLI cross-check)"
"$STRATA" ingest "$WORK/db" "$TRACES"
"$STRATA" inspect "$WORK/db" | tail -3

echo "== TraceBench: $SPANS spans"
"$BENCH" "$TRACES" "$WORK" --spans "$SPANS" --lookups "$LOOKUPS" --searches "$SEARCHES"
