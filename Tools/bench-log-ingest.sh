#!/usr/bin/env bash
# The log ingest path, from text to a flushed store: builds the release `strata`, generates a
# simulated testbed's logs (`strata generate`, default 3 h: about 200 MB of oslo.log, syslog,
# haproxy and platform logs), then, RUNS times each (median reported):
#   - anchor: `rg -c ''` over the same files (reading and splitting lines, ripgrep);
#   - parse only: `strata ingest --dry-run` (format detection, parsing, records built and dropped);
#   - whole path: `strata ingest` into a fresh database (parse, WAL-less append, segment flush).
# MB/s are raw text bytes per wall second and per CPU second (user + sys); the target is
# >= 50 MB/s per core for the whole path. Also prints disk/raw from `strata inspect --json`.
#
#   Tools/bench-log-ingest.sh                 # simulator logs
#   Tools/bench-log-ingest.sh /path/to/logs   # any file or directory instead
#
# Environment: STRATA_ROOT_SCRATCH (build dir, default .build), STRATA_BENCH_DIR (scratch, default
# $TMPDIR/strata-bench-logs, removed at the end), RUNS (default 3), DURATION (default 3h).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${STRATA_ROOT_SCRATCH:-$ROOT/.build}
WORK=${STRATA_BENCH_DIR:-${TMPDIR:-/tmp}/strata-bench-logs}
RUNS=${RUNS:-3}
DURATION=${DURATION:-3h}

log() { printf '%s\n' "$*" >&2; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

log "building release strata ($SCRATCH)"
swift build -c release --scratch-path "$SCRATCH" --product strata --package-path "$ROOT" >&2
STRATA="$SCRATCH/release/strata"
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

if [[ $# -ge 1 ]]; then
    INPUT=$1
else
    log "generating $DURATION of simulated logs"
    "$STRATA" generate "$WORK/sim" --duration "$DURATION" --seed 11 >/dev/null
    INPUT="$WORK/sim/logs"
fi
BYTES=$(find "$INPUT" -type f -print0 | xargs -0 cat | wc -c)
log "input: $INPUT, $BYTES bytes"

# Runs "$@" and prints "wall cpu" seconds.
timed() {
    /usr/bin/time -o "$WORK/time" -f '%e %U %S' "$@" >/dev/null 2>&1
    awk '{printf "%.3f %.3f\n", $1, $2 + $3}' "$WORK/time"
}

declare -A WALL CPU
for what in anchor parse ingest; do
    walls=(); cpus=()
    for ((i = 0; i < RUNS; i++)); do
        case $what in
        anchor) r=$(timed rg -c '' "$INPUT") ;;
        parse) r=$(timed "$STRATA" ingest "$WORK/none" "$INPUT" --dry-run) ;;
        ingest)
            rm -rf "$WORK/db"
            r=$(timed "$STRATA" ingest "$WORK/db" "$INPUT")
            ;;
        esac
        walls+=("${r% *}"); cpus+=("${r#* }")
    done
    WALL[$what]=$(printf '%s\n' "${walls[@]}" | median)
    CPU[$what]=$(printf '%s\n' "${cpus[@]}" | median)
done

printf '%-38s %10s %10s %12s %12s\n' "path ($RUNS runs, medians)" "wall s" "cpu s" "MB/s wall" "MB/s cpu"
for what in anchor parse ingest; do
    case $what in
    anchor) name="ripgrep rg -c '' (anchor)" ;;
    parse) name="strata ingest --dry-run (parse only)" ;;
    ingest) name="strata ingest (whole path)" ;;
    esac
    awk -v n="$name" -v w="${WALL[$what]}" -v c="${CPU[$what]}" -v b="$BYTES" \
        'BEGIN {printf "%-38s %10.3f %10.3f %12.1f %12.1f\n", n, w, c, b / w / 1e6, b / c / 1e6}'
done
"$STRATA" inspect "$WORK/db" --json | sed -E 's/.*"logs":\{"records":([0-9]+),"raw_bytes":([0-9]+),"bytes":([0-9]+).*/\1 \2 \3/' |
    awk '{printf "records %d, raw text %d bytes, on disk %d bytes: disk/raw %.2f%%\n", $1, $2, $3, 100 * $3 / $2}'
