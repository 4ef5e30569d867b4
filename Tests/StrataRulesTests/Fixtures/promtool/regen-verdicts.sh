#!/usr/bin/env bash
# Regenerates verdicts.tsv, check-verdicts.tsv and the *.promtool.txt reports
# by running promtool (Debian's `prometheus` package, 2.42.0) in this
# directory. Paths passed to promtool are relative, as they appear in reports.
set -u
cd "$(dirname "$0")"
command -v promtool >/dev/null || { echo "promtool not found" >&2; exit 2; }

tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
rm -f ./*.promtool.txt
: > verdicts.tsv
for t in [0-9][0-9]-*.test.yml; do
  base=${t%.test.yml}
  promtool test rules "$t" > "$tmp" 2>&1; rc=$?
  case $rc in
    0) printf '%s\tpass\n' "$t" >> verdicts.tsv ;;
    1) printf '%s\tfail\n' "$t" >> verdicts.tsv
       cp "$tmp" "$base.promtool.txt" ;;
    *) echo "unexpected exit $rc for $t" >&2; exit 2 ;;
  esac
done

: > check-verdicts.tsv
for c in check-[0-9][0-9]-*.yml; do
  base=${c%.yml}
  promtool check rules "$c" > "$tmp" 2>&1; rc=$?
  # First line of the message after promtool's "  FAILED:" header (empty if none).
  msg=$(awk 'f && NF {print; exit} /^  FAILED:$/ {f=1}' "$tmp")
  case $rc in
    0) v=pass ;;
    1) v=fail ;;
    *) echo "unexpected exit $rc for $c" >&2; exit 2 ;;
  esac
  printf '%s\t%s\t%s\n' "$c" "$v" "$msg" >> check-verdicts.tsv
  cp "$tmp" "$base.promtool.txt"
done
