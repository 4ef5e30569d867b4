#!/usr/bin/env bash
# `strata rules eval` over a day of history next to `promtool tsdb create-blocks-from rules`
# (Prometheus 2.42, Debian's `prometheus` and `promtool`) against a Prometheus holding the same
# samples, measured in the same run. Whole processes, timed with /usr/bin/time; medians of RUNS.
#
# Data (Tools/bench-rules-gen.py data): 100 node-exporter-like hosts x 10 series = 1,000 series,
# one sample every 15 s for 24 h (5,760 samples each, 5.76 M samples), as OpenMetrics text;
# `strata ingest` loads it into a Strata database, `promtool tsdb create-blocks-from openmetrics`
# into a Prometheus TSDB that a `prometheus` server on a loopback port then serves.
#
# Rules (Tools/bench-rules-gen.py rules; its docstring has the whole mix): 1,000 in 10 groups of
# 100, `interval: 15s`, each touching 1-100 series:
#   600 recording: 150 `sum by (instance) (rate(C{cluster="cK"}[1m|5m|15m]))` (10-20 series),
#       30 `avg by (cluster, mode) (rate(cpu{cluster}[W]))` (30), 60 per-cluster aggregations
#       of gauges (10), 10 fleet-wide (100), 350 per-instance (`X{instance="i-N"} / 1048576`,
#       `* 2`, `1 - avg by (instance) (rate(...idle...[5m]))`, `rate(...[5m]) * 8`; 1 series)
#   400 alerting, `for: 5m`/`10m`, labels `severity` and annotations templating
#       {{ $labels.instance }} and {{ $value }}: 300 `rate(C{instance="i-N"}[5m]) > X` and CPU
#       busy per host (1 series), 100 per cluster (load, memory, predict_linear on the
#       filesystem, context switches; 10 series). About 22,000 alert transitions over the day.
#
# What runs (S = 2023-11-14T00:00:00Z, E = S + 24h, step 15 s: 5,761 steps per rule):
#   strata rules eval DB recording.yml alerting.yml --start S --end E --step 15s [--write]
#   promtool tsdb create-blocks-from rules --start S --end E --url http://127.0.0.1:PORT \
#       --output-dir OUT RULES
# promtool queries the server once per rule and 2-hour block (query_range) and writes a block per
# rule and 2 hours; it evaluates alerting rules' expressions as if they were recording rules (no
# `for`, no ALERTS series), so its work per rule is a range query and a write, Strata's the range
# query, the alert state machine and (with --write) the write. The server's CPU time over the run
# (utime+stime from /proc/PID/stat) is added to promtool's, since the server does the queries;
# its peak RSS is read from VmHWM after resetting it (clear_refs 5) before the run.
#
# promtool takes about 0.9-1.3 s per rule here (12 range queries and 12 block writes each), so over
# the 1,000 rules about 15-20 minutes a run: by default it runs the sample of every tenth rule
# (recording-sample.yml + alerting-sample.yml, 60 + 40 rules), and Strata runs that same sample
# too, for a like-for-like ratio; --full runs promtool over all 1,000 rules as well (once).
# The 10x point: the same 1,000 rules over 10 days of the same 1,000 series (57.6 M samples).
#
#   Tools/bench-rules.sh            # about 7 minutes on 2 cores once the build is warm
#   Tools/bench-rules.sh --quick    # one run of each, no 10x point: about 4 minutes
#   Tools/bench-rules.sh --full     # adds promtool over all 1,000 rules (once): about 25 minutes
#   TEN_RUNS=3 Tools/bench-rules.sh --full   # what Benchmarks/README.md quotes (about 29 minutes)
#
# Environment: STRATA_ROOT_SCRATCH (release build dir, default .build), STRATA_BENCH_DIR (scratch,
# default $TMPDIR/strata-bench-rules, about 7 GB with the 10x point, removed at the end unless
# KEEP=1), RUNS (default 3, --quick 1), PROMTOOL_RUNS (default 1), TEN_RUNS (runs of the 10-day
# point, default 1). Not for CI: it exits at once when CI is set.
set -euo pipefail

if [ -n "${CI:-}" ]; then
    echo "bench-rules: a benchmark, not run in CI" >&2
    exit 0
fi

QUICK=0
FULL=0
for a in "$@"; do
    case $a in
        --quick) QUICK=1 ;;
        --full) FULL=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-rules: unknown argument $a (--quick, --full)" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${STRATA_ROOT_SCRATCH:-$ROOT/.build}
WORK=${STRATA_BENCH_DIR:-${TMPDIR:-/tmp}/strata-bench-rules}
RUNS=${RUNS:-$([ $QUICK = 1 ] && echo 1 || echo 3)}
PROMTOOL_RUNS=${PROMTOOL_RUNS:-1}
TEN_RUNS=${TEN_RUNS:-1}
GEN=$ROOT/Tools/bench-rules-gen.py
START=2023-11-14T00:00:00Z
START_UNIX=1699920000
END=2023-11-15T00:00:00Z
END10=2023-11-24T00:00:00Z

for tool in promtool prometheus python3 curl /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench-rules: needs $tool (apt-get install prometheus curl time)" >&2; exit 1; }
done

log() { printf '%s\n' "$*" >&2; }

log "building strata in release ($SCRATCH)..."
if ! out=$(swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH" --product strata 2>&1); then
    printf '%s\n' "$out" | tail -40 >&2
    exit 1
fi
STRATA=$(swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH" --show-bin-path)/strata

rm -rf "$WORK"
mkdir -p "$WORK"
PROM_PID=
cleanup() {
    if [ -n "$PROM_PID" ]; then kill "$PROM_PID" 2>/dev/null || true; wait "$PROM_PID" 2>/dev/null || true; fi
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

TCK=$(getconf CLK_TCK)
# utime+stime of a process in seconds.
cpu_of() { awk -v t="$TCK" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# run_timed NAME RUNS PREPARE -- CMD...: runs CMD RUNS times under /usr/bin/time (PREPARE, a shell
# function, first each time, not timed); keeps each run's "wall user sys maxrss_kb server_cpu
# server_peak_kb" in $WORK/NAME.times and sets the medians in M_WALL, M_CPU, M_RSS (MiB), M_SCPU,
# M_SRSS (MiB).
run_timed() {
    local name=$1 runs=$2 prepare=$3
    shift 4
    : >"$WORK/$name.times"
    for i in $(seq 1 "$runs"); do
        $prepare
        local c0=0 c1=0 speak=0
        if [ -n "$PROM_PID" ]; then
            echo 5 >"/proc/$PROM_PID/clear_refs" 2>/dev/null || true
            c0=$(cpu_of "$PROM_PID")
        fi
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.out" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
            log "bench-rules: $name failed:"; tail -20 "$WORK/$name.err" >&2; exit 1
        }
        if [ -n "$PROM_PID" ]; then
            c1=$(cpu_of "$PROM_PID")
            speak=$(awk '/^VmHWM/ { print $2 }' "/proc/$PROM_PID/status")
        fi
        printf '%s %s %s\n' "$(tail -1 "$WORK/time.out")" "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')" "$speak" >>"$WORK/$name.times"
    done
    M_WALL=$(awk '{ print $1 }' "$WORK/$name.times" | median)
    M_CPU=$(awk '{ print $2 + $3 }' "$WORK/$name.times" | median)
    M_RSS=$(awk '{ print $4 / 1024 }' "$WORK/$name.times" | median)
    M_SCPU=$(awk '{ print $5 }' "$WORK/$name.times" | median)
    M_SRSS=$(awk '{ print $6 / 1024 }' "$WORK/$name.times" | median)
    M_RUNS=$(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$WORK/$name.times")
}

ROWS=()
FMT='%-42s|%6s|%8s %-22s|%-28s|%-16s|%s\n'
# row TOOL RULES CPU RSS RATIO: one line of the table, with the medians in M_WALL and M_RUNS.
row() { ROWS+=("$(printf "$FMT" "$1" "$2" "$M_WALL" "($M_RUNS)" "$3" "$4" "${5:-}")"); }
fmt1() { awk -v x="$1" 'BEGIN { printf "%.1f", x }'; }
fmt0() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }

# --- data and rules ------------------------------------------------------------------------
log "generating 1,000 series x 24 h at 15 s and 1,000 rules..."
python3 "$GEN" data --days 1 --start $START_UNIX --out "$WORK/node.om" 2>/dev/null
python3 "$GEN" rules --out-dir "$WORK" 2>/dev/null
"$STRATA" rules check "$WORK/recording.yml" "$WORK/alerting.yml" >&2
log "ingesting: strata..."
"$STRATA" ingest "$WORK/db" "$WORK/node.om" >"$WORK/ingest.out" 2>&1 || { cat "$WORK/ingest.out" >&2; exit 1; }
log "ingesting: promtool tsdb create-blocks-from openmetrics..."
promtool tsdb create-blocks-from openmetrics "$WORK/node.om" "$WORK/promdata" >"$WORK/promtool-om.out" 2>&1 ||
    { tail -20 "$WORK/promtool-om.out" >&2; exit 1; }
rm -f "$WORK/node.om"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'global: {scrape_interval: 1h}\n' >"$WORK/prometheus.yml"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/promdata" --storage.tsdb.retention.time=100y \
    --web.listen-address="127.0.0.1:$PORT" --log.level=error >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null || { log "prometheus did not start"; cat "$WORK/prometheus.log" >&2; exit 1; }
n=$(curl -sf "http://127.0.0.1:$PORT/api/v1/query?query=count(node_load1)*10&time=$((START_UNIX + 43200))" | sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p')
[ "$n" = 1000 ] || { log "prometheus holds $n series at noon, not 1000"; exit 1; }
log "prometheus 2.42 on 127.0.0.1:$PORT, pid $PROM_PID, holding 1,000 series"

fresh_db() { rm -rf "$WORK/dbw"; cp -a "$WORK/db" "$WORK/dbw"; sync; }
fresh_out() { rm -rf "$WORK/promout"; sync; }
nothing() { :; }

# --- promtool --------------------------------------------------------------------------------
SAMPLE="$WORK/recording-sample.yml $WORK/alerting-sample.yml"
ALL="$WORK/recording.yml $WORK/alerting.yml"
log "promtool tsdb create-blocks-from rules, 100 rules (every tenth), $PROMTOOL_RUNS run(s)..."
# shellcheck disable=SC2086
run_timed promtool-sample "$PROMTOOL_RUNS" fresh_out -- promtool tsdb create-blocks-from rules --start $START --end $END \
    --url "http://127.0.0.1:$PORT" --output-dir "$WORK/promout" $SAMPLE
P_SAMPLE_WALL=$M_WALL
P_SAMPLE_CPU=$(awk -v a="$M_CPU" -v b="$M_SCPU" 'BEGIN { printf "%.2f", a + b }')
P_SAMPLE_BLOCKS=$(find "$WORK/promout" -maxdepth 1 -mindepth 1 -type d | wc -l)
row "promtool create-blocks-from rules" 100 "$(fmt1 "$P_SAMPLE_CPU") ($(fmt1 "$M_CPU") + server $(fmt1 "$M_SCPU"))" \
    "$(fmt0 "$M_RSS") (server $(fmt0 "$M_SRSS"))" 1
if [ $FULL = 1 ]; then
    log "promtool tsdb create-blocks-from rules, all 1,000 rules (15-20 minutes)..."
    # shellcheck disable=SC2086
    run_timed promtool-all 1 fresh_out -- promtool tsdb create-blocks-from rules --start $START --end $END \
        --url "http://127.0.0.1:$PORT" --output-dir "$WORK/promout" $ALL
    P_ALL_WALL=$M_WALL
    P_ALL_CPU=$(awk -v a="$M_CPU" -v b="$M_SCPU" 'BEGIN { printf "%.2f", a + b }')
    row "promtool create-blocks-from rules" 1000 "$(fmt1 "$P_ALL_CPU") ($(fmt1 "$M_CPU") + server $(fmt1 "$M_SCPU"))" \
        "$(fmt0 "$M_RSS") (server $(fmt0 "$M_SRSS"))" 1
fi
kill "$PROM_PID"; wait "$PROM_PID" 2>/dev/null || true
PROM_PID=
rm -rf "$WORK/promout" "$WORK/promdata"

# --- strata ----------------------------------------------------------------------------------
# ratio PROMTOOL_WALL PROMTOOL_CPU: "Nx wall, Mx CPU" against the medians in M_WALL and M_CPU.
ratio() {
    awk -v p="$1" -v pc="$2" -v s="$M_WALL" -v c="$M_CPU" \
        'BEGIN { if (p == "" || s <= 0) print ""; else printf "%.0fx wall, %.0fx CPU", p / s, pc / c }'
}
srow() { row "$1" "$2" "$(fmt1 "$M_CPU")" "$(fmt0 "$M_RSS")" "${3:-}"; }
log "strata rules eval, 100 rules (the same sample), $RUNS runs each..."
# shellcheck disable=SC2086
run_timed strata-sample-write "$RUNS" fresh_db -- "$STRATA" rules eval "$WORK/dbw" $SAMPLE --start $START --end $END --step 15s --write
srow "strata rules eval --write" 100 "$(ratio "$P_SAMPLE_WALL" "$P_SAMPLE_CPU")"
SAMPLE_SUMMARY=$(tail -1 "$WORK/strata-sample-write.out")
log "strata rules eval, 1,000 rules, $RUNS runs each..."
# shellcheck disable=SC2086
run_timed strata-all "$RUNS" nothing -- "$STRATA" rules eval "$WORK/db" $ALL --start $START --end $END --step 15s
srow "strata rules eval" 1000 "$([ $FULL = 1 ] && ratio "$P_ALL_WALL" "$P_ALL_CPU")"
S1_WALL=$M_WALL S1_CPU=$M_CPU
ALL_SUMMARY=$(tail -1 "$WORK/strata-all.out")
# shellcheck disable=SC2086
run_timed strata-all-write "$RUNS" fresh_db -- "$STRATA" rules eval "$WORK/dbw" $ALL --start $START --end $END --step 15s --write
srow "strata rules eval --write" 1000 "$([ $FULL = 1 ] && ratio "$P_ALL_WALL" "$P_ALL_CPU")"
rm -rf "$WORK/dbw"

# --- 10x: ten days ---------------------------------------------------------------------------
if [ $QUICK = 0 ]; then
    log "10x: generating and ingesting 1,000 series x 10 days (57.6 M samples, about 2 minutes)..."
    python3 "$GEN" data --days 10 --start $START_UNIX --out "$WORK/node10.om" 2>/dev/null
    "$STRATA" ingest "$WORK/db10" "$WORK/node10.om" >"$WORK/ingest10.out" 2>&1 || { cat "$WORK/ingest10.out" >&2; exit 1; }
    rm -f "$WORK/node10.om"
    log "10x: strata rules eval, 1,000 rules over 10 days, $TEN_RUNS run(s)..."
    # shellcheck disable=SC2086
    run_timed strata-10d "$TEN_RUNS" nothing -- "$STRATA" rules eval "$WORK/db10" $ALL --start $START --end $END10 --step 15s
    TEN=$(awk -v a="$M_WALL" -v b="$S1_WALL" -v c="$M_CPU" -v d="$S1_CPU" 'BEGIN { printf "%.1fx wall, %.1fx CPU of 1 day", a / b, c / d }')
    srow "strata rules eval, 10 days (10x the data)" 1000 "$TEN"
    TEN_SUMMARY=$(tail -1 "$WORK/strata-10d.out")
fi

# --- report ----------------------------------------------------------------------------------
echo "# strata rules eval vs promtool tsdb create-blocks-from rules, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# 1,000 series x 24 h at 15 s; $START .. $END, step 15s; medians of $RUNS (promtool: $PROMTOOL_RUNS, 10 days: $TEN_RUNS)"
echo
printf "$FMT" tool rules "wall s" "(runs)" "CPU s (user + sys)" "peak RSS MiB" "promtool / this"
printf "$FMT" ------------------------------------------ ------ -------- ---------------------- ---------------------------- ---------------- -----------------
printf '%s\n' "${ROWS[@]}"
echo
echo "promtool over the sample wrote $P_SAMPLE_BLOCKS blocks (one per rule and 2 hours)."
echo "strata, sample: $SAMPLE_SUMMARY"
echo "strata, 1,000 rules: $ALL_SUMMARY"
[ $QUICK = 1 ] || echo "strata, 10 days: $TEN_SUMMARY"
[ $FULL = 1 ] || echo "(promtool over all 1,000 rules: Tools/bench-rules.sh --full, 15-20 minutes more)"
