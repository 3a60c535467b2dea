#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Golden traces: traces recorded in the test VM (seed scenarios, Debian 6.1) with the report each
# must keep producing. They pin the trace reader (old traces stay readable) and the analyzer's
# verdicts. After an intended change to the report, regenerate and review the diff:
#   tests/golden/check.sh MODRACE --update
set -uo pipefail
MODRACE=${1:?usage: check.sh MODRACE [--update]}
DIR=$(cd "$(dirname "$0")" && pwd)
update=${2:-}
failures=0 checked=0
for trace in "$DIR"/*.trace; do
	name=$(basename "$trace" .trace)
	want="$DIR/$name.report.json"
	got=$(mktemp)
	"$MODRACE" report --format json --fail-on none "$trace" > "$got"
	st=$?
	if [ "$st" != 0 ]; then
		echo "FAIL: $name: modrace report exited $st"; failures=$((failures + 1))
	elif [ "$update" = --update ]; then
		cp "$got" "$want"; echo "updated: $name"
	elif diff -u "$want" "$got" > "$got.diff"; then
		echo "ok: $name"
	else
		echo "FAIL: $name: report differs from $want:"; head -40 "$got.diff"
		failures=$((failures + 1))
	fi
	checked=$((checked + 1))
	rm -f "$got" "$got.diff"
done
[ "$checked" -gt 0 ] || { echo "FAIL: no golden trace found in $DIR"; exit 1; }
[ "$failures" = 0 ] || exit 1
echo "golden: $checked trace(s) match"
