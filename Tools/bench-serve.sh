#!/usr/bin/env bash
# `strata serve` under load from a loopback generator (strata-loadgen), next to Prometheus 2.42
# (Debian's `prometheus`) given the same requests in the same run.
#
#   - remote_write: requests of 2,000 samples (node_cpu_seconds_total-like series, one sample per
#     series per request, as Prometheus sends them), 10 connections, each with its own series in time order; SERIES series (20,000 and 10x
#     that), against Strata (acknowledged after a group-commit fsync) and against Prometheus's
#     remote-write receiver. Rates are wall and per CPU-second of the server (utime+stime).
#   - Loki push: JSON pushes of ~1 MiB of Loghub OpenStack lines (replicated to 200 MB), 4 connections.
#   - instant queries from 20 concurrent clients on the demo database (3 h, then 30 h), against
#     Strata and against Prometheus holding the same samples (`strata export` ->
#     `promtool tsdb create-blocks-from openmetrics`): p50/p90/p99 and the server's memory.
#
#   Tools/bench-serve.sh
#
# Environment: STRATA_ROOT_SCRATCH (release build dir, default .build), STRATA_BENCH_DIR (scratch,
# default $TMPDIR/strata-bench-serve, removed at the end unless KEEP=1).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${STRATA_ROOT_SCRATCH:-$ROOT/.build}
WORK=${STRATA_BENCH_DIR:-${TMPDIR:-/tmp}/strata-bench-serve}
rm -rf "$WORK" && mkdir -p "$WORK"
for p in strata strata-server strata-loadgen; do
    swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH" --product $p >/dev/null
done
B="$SCRATCH/release"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/-/ready" >/dev/null && return 0; sleep 0.1; done; echo "not ready: $1" >&2; return 1; }
serve() {  # db port -> pid
    "$B/strata-server" "$1" --listen "127.0.0.1:$2" --maintenance-interval 0 >"$WORK/server-$2.log" 2>&1 &
    PIDS+=($!); wait_ready "$2"; echo $!
}
prom() {  # tsdb port extra... -> pid
    local tsdb=$1 p=$2; shift 2
    printf 'global: {scrape_interval: 1h}\n' >"$WORK/prometheus.yml"
    prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$tsdb" --storage.tsdb.retention.time=100y \
        --web.listen-address="127.0.0.1:$p" --log.level=error "$@" >"$WORK/prom-$p.log" 2>&1 &
    PIDS+=($!); wait_ready "$p"; echo $!
}
mem() { grep -E "VmRSS" "/proc/$1/status" | tr -s '\t ' ' '; }

echo "## remote_write (requests of 2,000 samples, 10 connections, one per shard)"
for series in 20000 200000; do
    p=$(port); pid=$(serve "$WORK/rw-$series" "$p")
    echo -n "strata     series=$series: "; "$B/strata-loadgen" remote-write "http://127.0.0.1:$p" --series $series --requests 3000 --connections 10 --pid "$pid"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    p=$(port); pid=$(prom "$WORK/prom-rw-$series" "$p" --web.enable-remote-write-receiver)
    echo -n "prometheus series=$series: "; "$B/strata-loadgen" remote-write "http://127.0.0.1:$p" --series $series --requests 3000 --connections 10 --pid "$pid"
    kill "$pid"; wait "$pid" 2>/dev/null || true
done

echo "## Loki push (JSON, ~1 MiB per push, 4 connections)"
p=$(port); pid=$(serve "$WORK/loki" "$p")
"$B/strata-loadgen" loki-push "http://127.0.0.1:$p" --file "$ROOT/../shared/data/loghub/OpenStack/OpenStack_2k.log" --megabytes 200 --connections 4 --pid "$pid"
echo "on disk: $(du -sh "$WORK/loki" | cut -f1)"
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "## instant queries, 20 concurrent clients, 8 s each"
for dur in 3h 30h; do
    "$B/strata" demo "$WORK/demo-$dur" --duration $dur >/dev/null 2>&1
    "$B/strata" export "$WORK/demo-$dur/db" '{__name__=~".+"}' >"$WORK/demo-$dur.om"
    promtool tsdb create-blocks-from openmetrics "$WORK/demo-$dur.om" "$WORK/prom-demo-$dur" >/dev/null
    # The hour before the end of the simulated run.
    end=$(python3 -c "import re,sys; print(max(int(float(m)) for m in re.findall(r' ([0-9]{10}\.[0-9]{3})$', open('$WORK/demo-$dur.om').read(), re.M)))")
    T=$((end - 3600))
    for who in strata prometheus; do
        p=$(port)
        if [ $who = strata ]; then pid=$(serve "$WORK/demo-$dur/db" "$p"); else pid=$(prom "$WORK/prom-demo-$dur" "$p"); fi
        echo "$who, demo $dur, idle: $(mem "$pid")"
        for q in 'call_success_rate' 'sum by (instance) (rate(node_cpu_seconds_total[5m]))' 'histogram_quantile(0.9, sum by (le) (rate(go_gc_duration_seconds_bucket[5m])))'; do
            echo -n "$who demo=$dur $q: "; "$B/strata-loadgen" query "http://127.0.0.1:$p" --query "$q" --time $T --clients 20 --seconds 8 --pid "$pid"
        done
        kill "$pid"; wait "$pid" 2>/dev/null || true
    done
done
