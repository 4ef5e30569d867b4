#!/usr/bin/env bash
# The first retention pass over a 30-day database, and what downsampling does to a 30-day query.
#
# The database: 30 days of node-exporter-like metrics at 10 s for 5 hosts (strata-nodegen, 1000
# series, one ingest per day), and one hour of the simulator's logs and traces on each of days
# 0, 7, 14, 21 and 29 (a month of simulator text at this rate would be ~45 GB). The policy is the
# issue's: metrics 30d, logs 14d, traces 7d, DEBUG logs 2d, downsampling to 5 m after 2 d and to
# 1 h after 30 d. Prints:
#   - the pass (`strata compact`, whole process): wall seconds and peak RSS, bytes before and after,
#     per store;
#   - `avg_over_time(node_load1[1h])` over the 30 days at 1 h steps on the raw copy and on the
#     downsampled store: whole-process median time (farm-bench) and the largest difference.
#
#   Tools/bench-retention.sh               # DAYS=30 SERIES=1000
#   DAYS=7 SERIES=200 Tools/bench-retention.sh
#
# Environment: STRATA_ROOT_SCRATCH (build dir, default .build), STRATA_BENCH_DIR (scratch,
# default $TMPDIR/strata-bench-retention, removed at the end unless KEEP=1), DAYS, SERIES.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${STRATA_ROOT_SCRATCH:-$ROOT/.build}
WORK=${STRATA_BENCH_DIR:-${TMPDIR:-/tmp}/strata-bench-retention}
DAYS=${DAYS:-30}
SERIES=${SERIES:-1000}
START=1700006400  # 2023-11-15T00:00:00Z

swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH" --product strata >/dev/null
swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH" --product strata-nodegen >/dev/null
STRATA="$SCRATCH/release/strata"
NODEGEN="$SCRATCH/release/strata-nodegen"
rm -rf "$WORK"
mkdir -p "$WORK"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

t0=$(date +%s)
for day in $(seq 0 $((DAYS - 1))); do
    "$NODEGEN" --series "$SERIES" --samples 8640 --interval 10s --start $((START + day * 86400)) --seed $((day + 1)) \
        --out "$WORK/day.om" 2>/dev/null
    "$STRATA" ingest "$WORK/db" "$WORK/day.om" >/dev/null
done
rm -f "$WORK/day.om"
for day in 0 7 14 21 $((DAYS - 1)); do
    [ "$day" -lt "$DAYS" ] || continue
    "$STRATA" generate "$WORK/gen" --start $((START + day * 86400 + 36000)) --duration 1h --seed $((day + 1)) >/dev/null
    "$STRATA" ingest "$WORK/db" "$WORK/gen/logs" "$WORK/gen/traces" >/dev/null
    rm -rf "$WORK/gen"
done
t1=$(date +%s)
echo "# retention: $DAYS days, $SERIES series at 10 s, 5 hours of simulator logs and traces, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "built in $((t1 - t0)) s"
"$STRATA" inspect "$WORK/db"
cp -r "$WORK/db" "$WORK/raw"

cat >"$WORK/policy.yml" <<'EOF'
retention:
  metrics: 30d
  logs: 14d
  traces: 7d
  rules:
    - {store: logs, selector: '{level="DEBUG"}', keep: 2d}
downsample:
  - {after: 2d,  resolution: 5m}
  - {after: 30d, resolution: 1h}
EOF
"$STRATA" policy set "$WORK/db" "$WORK/policy.yml" >/dev/null
/usr/bin/time -f "pass: %e s wall, %M KiB peak RSS" "$STRATA" compact "$WORK/db" --json >"$WORK/pass.json" 2>"$WORK/time.txt"
cat "$WORK/time.txt"
python3 - "$WORK/pass.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"database bytes: {r['bytes_before']} before, {r['bytes_after']} after ({r['bytes_after'] / r['bytes_before']:.3f})")
for store, v in r["retention"].items():
    print(f"  {store} retention: {v['bytes_before']} -> {v['bytes_after']} bytes, dropped {len(v['dropped'])}, rewrote {len(v['rewritten'])}")
for s in r["downsample"]:
    print(f"  downsample to {s['resolution_ms'] // 1000} s: {s['aggregated_samples']} samples -> {s['steps']} steps, {s['input_bytes']} -> {s['output_bytes']} bytes")
EOF
"$STRATA" inspect "$WORK/db"

# The 30-day query on both stores: time (whole process) and the largest difference.
Q='avg_over_time(node_load1[1h])'
QS=$((START + 3600))
QE=$((START + DAYS * 86400))
for store in raw db; do
    "$STRATA" query "$WORK/$store" "$Q" --start "$QS" --end "$QE" --step 1h --format json >"$WORK/$store.json"
done
python3 - "$WORK/raw.json" "$WORK/db.json" <<'EOF'
import json, sys
def load(p):
    out = {}
    for s in json.load(open(p))["data"]["result"]:
        key = tuple(sorted(s["metric"].items()))
        for t, v in s["values"]:
            out[(key, t)] = float(v)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
common = set(a) & set(b)
worst = max((abs(a[k] - b[k]) / max(abs(a[k]), 1e-12) for k in common), default=0.0)
print(f"{len(a)} raw points, {len(b)} downsampled points, {len(common)} in both; largest relative difference {worst:.3g}")
EOF
if command -v farm-bench >/dev/null; then
    farm-bench -n 7 --timeout 600 --vs "$STRATA query $WORK/raw $Q --start $QS --end $QE --step 1h --format json" \
        -- "$STRATA" query "$WORK/db" "$Q" --start "$QS" --end "$QE" --step 1h --format json
fi
