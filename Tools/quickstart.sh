#!/usr/bin/env bash
# The README's first command ends here: build Strata in release, then run `strata demo`, which
# simulates three hours of an OpenStack testbed with an incident, ingests its metrics, logs and traces, and
# shows the incident (see README.md). Usage: Tools/quickstart.sh [DIR] [demo flags...]
#   Tools/quickstart.sh                       # ./strata-demo, 3 simulated hours
#   Tools/quickstart.sh /tmp/demo --small     # 20 simulated minutes
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-strata-demo}
shift || true
bin=.build/release/strata
if [ ! -x "$bin" ]; then
    echo "== building strata in release: the first build takes about 6 to 8 minutes on 2 cores (later ones seconds)"
else
    echo "== building strata in release (up to date: seconds)"
fi
log=${TMPDIR:-/tmp}/strata-quickstart-build.log
started=$(date +%s)
if ! swift build -c release --product strata > "$log" 2>&1; then
    cat "$log" >&2
    exit 2
fi
rm -f "$log"
echo "   built in $(( $(date +%s) - started )) s"
exec "$bin" demo "$dir" "$@"
