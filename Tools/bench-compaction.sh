#!/usr/bin/env bash
# Write amplification of compaction over a simulated month of hourly ingests (metrics): each
# hour, strata-nodegen writes one hour of node-exporter-like data (SERIES series, 60 s scrapes),
# `strata ingest` adds it, and `strata compact` runs, as a cron job would. Prints the bytes the
# flushes wrote, the bytes the compactions wrote, the bytes on disk at the end, the raw
# OpenMetrics bytes, and the ratios; and the blocks and bytes/sample at the end.
#
#   Tools/bench-compaction.sh                 # 30 days, 200 series
#   DAYS=7 SERIES=1000 Tools/bench-compaction.sh
#
# Environment: STRATA_ROOT_SCRATCH (build dir, default .build), STRATA_BENCH_DIR (scratch,
# default $TMPDIR/strata-bench-compaction, removed at the end), DAYS, SERIES.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${STRATA_ROOT_SCRATCH:-$ROOT/.build}
WORK=${STRATA_BENCH_DIR:-${TMPDIR:-/tmp}/strata-bench-compaction}
DAYS=${DAYS:-30}
SERIES=${SERIES:-200}

swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH" --product strata >/dev/null
swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH" --product strata-nodegen >/dev/null
STRATA="$SCRATCH/release/strata"
NODEGEN="$SCRATCH/release/strata-nodegen"
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

# The metric store's total bytes in `strata inspect --json` (0 before the database exists).
metric_bytes() { "$STRATA" inspect "$1" --json 2>/dev/null | sed -n 's/.*"metrics":{[^}]*"bytes":\([0-9]*\).*/\1/p' | head -1; }
# The sum and the count of "output_bytes" in `strata compact --json`.
output_sum() { { grep -o '"output_bytes":[0-9]*' || true; } | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }'; }
output_count() { { grep -o '"output_bytes"' || true; } | awk 'END { print NR }'; }
flushed=0 compacted=0 raw=0 steps=0
start=$(date +%s.%N)
for hour in $(seq 0 $((DAYS * 24 - 1))); do
    "$NODEGEN" --series "$SERIES" --samples 60 --interval 1m --start $((1700000000 + hour * 3600)) --out "$WORK/hour.om" 2>/dev/null
    raw=$((raw + $(stat -c %s "$WORK/hour.om")))
    before=$(metric_bytes "$WORK/db" || true)
    "$STRATA" ingest "$WORK/db" "$WORK/hour.om" >/dev/null
    after=$(metric_bytes "$WORK/db")
    flushed=$((flushed + after - ${before:-0}))
    out=$("$STRATA" compact "$WORK/db" --json)
    compacted=$((compacted + $(printf '%s' "$out" | output_sum)))
    steps=$((steps + $(printf '%s' "$out" | output_count)))
done
end=$(date +%s.%N)
final=$(metric_bytes "$WORK/db")
echo "# compaction write amplification: $DAYS days of hourly ingests, $SERIES series at 60 s, $(date -u +%Y-%m-%dT%H:%MZ)"
"$STRATA" inspect "$WORK/db" | sed -n 1,3p
echo "raw OpenMetrics ingested:      $raw bytes"
echo "written by ingest flushes:     $flushed bytes (metric store growth per ingest, before compaction)"
echo "written by $steps compaction steps: $compacted bytes"
echo "on disk at the end:            $final bytes"
awk -v f="$flushed" -v c="$compacted" -v d="$final" -v r="$raw" -v t="$(echo "$end - $start" | bc)" -v h="$((DAYS * 24))" 'BEGIN {
    printf "write amplification: (flushes + compactions) / flushes = %.2f; / final bytes = %.2f; bytes written per raw byte = %.4f\n", (f + c) / f, (f + c) / d, (f + c) / r
    printf "wall time: %.1f s for %d hours (nodegen, inspect, ingest and compact each hour, whole processes)\n", t, h
}'
