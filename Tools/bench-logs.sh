#!/usr/bin/env bash
# Reproduces the log-store figures: builds LogBench (release), writes Loghub's OpenStack_2k
# replicated to 200 MB with fresh UUIDs and shifted timestamps, ingests it into a LogStore
# (one thread: a minimal oslo header splitter + LogStore.append + flush), prints disk use, and runs
# the warm queries, each next to ripgrep (`rg -c -F`) on the same raw file. Needs `rg` on PATH.
#
#   Tools/bench-logs.sh              # durability .buffered (WAL written, not fsynced per batch)
#   DURABILITY=none Tools/bench-logs.sh
#
# Environment: STRATA_BENCH_SCRATCH (Benchmarks build dir, default .build-bench-logs),
# STRATA_BENCH_DIR (data, default $TMPDIR/strata-bench-logs; about 300 MB), MB (corpus size,
# default 200), RUNS (query repetitions, median, default 7), DURABILITY (buffered|none|fsync).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${STRATA_BENCH_SCRATCH:-$ROOT/.build-bench-logs}
WORK=${STRATA_BENCH_DIR:-${TMPDIR:-/tmp}/strata-bench-logs}
MB=${MB:-200}
RUNS=${RUNS:-7}
DURABILITY=${DURABILITY:-buffered}

command -v rg >/dev/null || { echo "bench-logs: ripgrep (rg) is needed for the anchor figures" >&2; exit 1; }
mkdir -p "$WORK"
(cd "$ROOT/Benchmarks" && swift build -c release --scratch-path "$SCRATCH" --product LogBench >/dev/null)
BENCH="$SCRATCH/release/LogBench"
SAMPLE="$ROOT/../shared/data/loghub/OpenStack/OpenStack_2k.log"
CORPUS="$WORK/openstack-${MB}mb.log"
[ -s "$CORPUS" ] || "$BENCH" corpus "$CORPUS" --mb "$MB" --sample "$SAMPLE"
cat "$CORPUS" > /dev/null  # warm the page cache for ripgrep
"$BENCH" run "$CORPUS" "$WORK/store" --runs "$RUNS" --durability "$DURABILITY" --sample "$SAMPLE"
rm -rf "$WORK/store"
