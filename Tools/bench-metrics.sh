#!/usr/bin/env bash
# Reproduces the metric-path figures from scratch: builds release binaries, runs MetricBench
# (chunk decoding, the append API, select-and-drain; PromQL range queries over ingested data),
# generates node-exporter-like OpenMetrics with strata-nodegen (aligned and with 3 ms scrape jitter), ingests each file with the strata CLI
# three times (median), reads bytes/sample from `strata inspect --json`, and prints Prometheus XOR
# bytes/sample on the same series as an anchor. Prints plain tables; about 2-3 minutes on 2 cores
# once the builds are warm.
#
#   Tools/bench-metrics.sh                 # everything
#   Tools/bench-metrics.sh ingest          # only the ingest and bytes/sample part
#   Tools/bench-metrics.sh micro           # only MetricBench (decode, append, select)
#   Tools/bench-metrics.sh query           # only the PromQL figures (MetricBench query over ingested data)
#
# Environment: STRATA_ROOT_SCRATCH (root package build dir, default .build), STRATA_BENCH_SCRATCH
# (Benchmarks package build dir, default .build-bench), STRATA_BENCH_DIR (scratch data, default
# $TMPDIR/strata-bench-metrics, removed at the end; needs about 2 GB), RUNS (default 3 for
# ingest, 5 for MetricBench), SERIES and SAMPLES (strata-nodegen, default 1000 x 7200).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROOT_SCRATCH=${STRATA_ROOT_SCRATCH:-$ROOT/.build}
BENCH_SCRATCH=${STRATA_BENCH_SCRATCH:-$ROOT/.build-bench}
WORK=${STRATA_BENCH_DIR:-${TMPDIR:-/tmp}/strata-bench-metrics}
INGEST_RUNS=${RUNS:-3}
MICRO_RUNS=${RUNS:-5}
SERIES=${SERIES:-1000}
SAMPLES=${SAMPLES:-7200}
WHAT=${1:-all}

log() { printf '%s\n' "$*" >&2; }

# Runs a build quietly; shows its output only when it fails.
quiet_build() {
    local out
    if ! out=$("$@" 2>&1); then
        printf '%s\n' "$out" | tail -40 >&2
        log "bench-metrics: build failed: $*"
        exit 1
    fi
}

log "building release binaries (root: $ROOT_SCRATCH, benchmarks: $BENCH_SCRATCH)..."
quiet_build swift build -c release --package-path "$ROOT" --scratch-path "$ROOT_SCRATCH" --product strata
quiet_build swift build -c release --package-path "$ROOT" --scratch-path "$ROOT_SCRATCH" --product strata-nodegen
quiet_build swift build -c release --package-path "$ROOT/Benchmarks" --scratch-path "$BENCH_SCRATCH" --product MetricBench
BIN=$(swift build -c release --package-path "$ROOT" --scratch-path "$ROOT_SCRATCH" --show-bin-path)
BENCH_BIN=$(swift build -c release --package-path "$ROOT/Benchmarks" --scratch-path "$BENCH_SCRATCH" --show-bin-path)
STRATA=$BIN/strata
NODEGEN=$BIN/strata-nodegen
BENCH=$BENCH_BIN/MetricBench

rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

echo "# Strata metric figures, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo

if [ "$WHAT" = all ] || [ "$WHAT" = micro ]; then
    "$BENCH" all --runs "$MICRO_RUNS" --tmp "$WORK"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = query ]; then
    # Issue 3's PromQL figures: the SERIES x SAMPLES data, and 2,000 series (10 hosts x 64
    # node_cpu_seconds_total = 640 series) for the rate anchor shape, each ingested with strata.
    for n in "$SERIES" 2000; do
        "$NODEGEN" --series "$n" --samples "$SAMPLES" --out "$WORK/query-$n.om" 2>/dev/null
        "$STRATA" ingest "$WORK/query-db-$n" "$WORK/query-$n.om" > "$WORK/ingest.out" 2>&1 || { cat "$WORK/ingest.out" >&2; exit 1; }
        rm -f "$WORK/query-$n.om"
    done
    "$BENCH" query "$WORK/query-db-$SERIES" --shape "$WORK/query-db-2000" --runs "$MICRO_RUNS"
    rm -rf "$WORK/query-db-$SERIES" "$WORK/query-db-2000"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = ingest ]; then
    now_ns() { date +%s%N; }
    json_field() { sed -n "s/.*\"metrics\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"; }
    median_of() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

    rows=()
    anchors=()
    for jitter in 0 3; do
        data="$WORK/node-j$jitter.om"
        "$NODEGEN" --series "$SERIES" --samples "$SAMPLES" --jitter-ms "$jitter" --out "$data" 2>/dev/null
        file_bytes=$(stat -c %s "$data")
        times=()
        for run in $(seq 1 "$INGEST_RUNS"); do
            db="$WORK/db-j$jitter"
            rm -rf "$db"
            sync
            t0=$(now_ns)
            "$STRATA" ingest "$db" "$data" > "$WORK/ingest.out" 2>&1 || { cat "$WORK/ingest.out" >&2; exit 1; }
            t1=$(now_ns)
            times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')")
        done
        stats=$("$STRATA" inspect "$db" --json)
        samples=$(printf '%s' "$stats" | json_field samples)
        bytes=$(printf '%s' "$stats" | json_field bytes)
        secs=$(printf '%s\n' "${times[@]}" | median_of)
        anchor=$("$BENCH" anchor "$db")
        xor=$(printf '%s\n' "$anchor" | awk '$1 == "all" { print $(NF-1) }')
        label=$([ "$jitter" = 0 ] && echo "aligned" || echo "jitter ${jitter} ms")
        rows+=("$(awk -v l="$label" -v fb="$file_bytes" -v n="$samples" -v s="$secs" -v all="${times[*]}" -v b="$bytes" -v x="$xor" \
            'BEGIN { printf "%-12s %8.0f %10d %7.3f %-23s %10.2f %9.3f %9s\n", l, fb / 1048576, n, s, "(" all ")", n / s / 1e6, b / n, x }')")
        anchors+=("== Prometheus XOR anchor, $label (per family, bytes/sample)" "$anchor" "")
        rm -rf "$data" "$db"
    done

    echo "== OpenMetrics ingest, end to end (strata ingest, wall clock incl. start-up and final flush; median of $INGEST_RUNS)"
    printf '%-12s %8s %10s %7s %-23s %10s %9s %9s\n' data "file MiB" samples seconds "(runs)" "M samples/s" "B/sample" "XOR B/s"
    printf '%-12s %8s %10s %7s %-23s %10s %9s %9s\n' ------------ -------- ---------- ------- ----------------------- ---------- --------- ---------
    printf '%s\n' "${rows[@]}"
    echo "(B/sample: strata inspect --json metrics.bytes / metrics.samples, every file under the store; XOR B/s: GorillaChunk at 120 samples/chunk on the same series, chunk payload only)"
    echo
    printf '%s\n' "${anchors[@]}"
fi
