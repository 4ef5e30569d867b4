#!/usr/bin/env bash
# The README's first command ends here: build Strata, simulate node_exporter data, ingest it,
# and show what is stored and a few series. Until the demo exists (see the issues), this is
# the main job. Usage: Tools/quickstart.sh [DIR]   (default: ./strata-quickstart)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-strata-quickstart}
mkdir -p "$dir"
echo "== building (release; the first build takes a few minutes on 2 cores)"
swift build -c release --product strata >/dev/null
swift build -c release --product strata-nodegen >/dev/null
bin=.build/release
echo "== simulating 1,000 node_exporter series x 7,200 scrapes (20 h at 10 s)"
"$bin/strata-nodegen" --out "$dir/node.om"
echo "== ingesting"
rm -rf "$dir/db"
"$bin/strata" ingest "$dir/db" "$dir/node.om"
echo "== what is stored"
"$bin/strata" inspect "$dir/db"
echo "== one series, its first 50 seconds as OpenMetrics"
"$bin/strata" export "$dir/db" 'node_load1{instance="wally113:9100"}' --start 1700000000 --end 1700000040
echo "== PromQL: busiest hosts at the end of the data (instant query)"
"$bin/strata" query "$dir/db" 'topk(3, sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m])))' --time 1700072000
echo "== PromQL: load over the last hour, as Prometheus's API returns it (first 300 bytes)"
"$bin/strata" query "$dir/db" 'avg(node_load1)' --start 1700068400 --end 1700072000 --step 10m --format json | cut -c1-300
echo "== checking every checksum"
"$bin/strata" verify "$dir/db"
echo
echo "Try: $bin/strata export $dir/db 'node_memory_MemFree_bytes' --start 2023-11-15T00:00:00Z --end 2023-11-15T00:01:00Z"
