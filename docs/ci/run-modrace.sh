#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# CI step 2 (docs/ci.md): boot the test VM with the module(s), run the scenario under modrace,
# and leave in OUT the artifacts a CI keeps: report.sarif (code scanning), report.ktap (kernel
# CI), report.json, report.txt, the trace and the guest's console. Exit status: modrace-vm's
# (0 clean, 1 findings at or above --fail-on error, 10-14 a failed run: docs/vm.md).
#   MODRACE=... docs/ci/run-modrace.sh SCENARIO OUT MODULE.ko... [-- MODRACE-VM ARGS]
set -uo pipefail
MODRACE=${MODRACE:?set MODRACE to the modrace checkout}
scenario=${1:?usage: run-modrace.sh SCENARIO OUT MODULE.ko... [-- ARGS]}
out=${2:?usage: run-modrace.sh SCENARIO OUT MODULE.ko... [-- ARGS]}
shift 2
args=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=(--module "$1"); shift; done
[ "${1:-}" = -- ] && shift
"$MODRACE/vm-images/modrace-vm" --quiet --scenario "$scenario" --out "$out" "${args[@]}" "$@"
status=$?
for f in report.sarif report.ktap report.json report.txt trace console.log; do
	[ -e "$out/$f" ] || echo "run-modrace.sh: no $out/$f (modrace-vm exit $status)" >&2
done
[ -s "$out/report.txt" ] && tail -1 "$out/report.txt"
exit "$status"
