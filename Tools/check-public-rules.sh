#!/usr/bin/env bash
# `strata rules check` against `promtool check rules` on public rule collections: the same verdict
# on every file. Needs network access (git clone) and Debian's promtool; not run in CI.
#
#   Tools/check-public-rules.sh                      # awesome-prometheus-alerts and Thanos's examples
#   Tools/check-public-rules.sh DIR...               # any directories of rule files
#
# Last run (2026-12-07): samber/awesome-prometheus-alerts dist/rules (112 files) and
# thanos-io/thanos examples/alerts (alerts.yaml, rules.yaml): every verdict the same; Thanos's
# tests.yaml passes `strata rules test` as it passes `promtool test rules`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
strata=${STRATA:-$here/.build/debug/strata}
[ -x "$strata" ] || (cd "$here" && swift build --product strata >/dev/null)
command -v promtool >/dev/null || { echo "promtool is missing: run Tools/setup-debian.sh" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
    git clone -q --depth 1 https://github.com/samber/awesome-prometheus-alerts "$work/apa"
    git clone -q --depth 1 --filter=blob:none --sparse https://github.com/thanos-io/thanos "$work/thanos"
    (cd "$work/thanos" && git sparse-checkout set examples/alerts >/dev/null)
    dirs=("$work/apa/dist/rules" "$work/thanos/examples/alerts")
fi
same=0; differ=0
while IFS= read -r f; do
    grep -q '^groups:' "$f" || continue
    p=pass; promtool check rules "$f" >/dev/null 2>&1 || p=fail
    s=pass; "$strata" rules check "$f" >"$work/out" 2>&1 || s=fail
    if [ "$p" = "$s" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "DIFFERENT $f: promtool $p, strata $s"; head -3 "$work/out"; fi
done < <(find "${dirs[@]}" -name '*.y*ml' | sort)
echo "$same files with the same verdict, $differ different"
[ "$differ" -eq 0 ]
