#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# docs/ci.md's scripts as a module's CI runs them: step 1 (docs/ci/build-module.sh) builds the
# seed modules from a copy laid out as a module's own repository (its Kbuild, its sources);
# step 2 (docs/ci/run-modrace.sh) runs the seed race and must exit 1 (the unprotected-get) and
# leave every artifact: report.sarif with that result, report.ktap that parses as KTAP with it
# not ok, report.json, report.txt, the trace and the console.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build  # seedctl and seed-lib.sh for the scenario
repo="$WORK/mydrv"
mkdir -p "$repo"
cp "$SRC/tests/kmod/seed.h" "$SRC/tests/kmod/seed_core.c" "$SRC/tests/kmod/seed_drv.c" "$repo/"
echo "obj-m := seed_core.o seed_drv.o" > "$repo/Kbuild"
export MODRACE=$SRC
if bash "$SRC/docs/ci/build-module.sh" "$repo" "$FLAVOR" > "$WORK/build-module.log" 2>&1 \
	&& [ -f "$repo/seed_core.ko" ] && [ -f "$repo/seed_drv.ko" ]; then
	pass "step 1 built the module repository's .ko files"
else
	fail "step 1: $(tail -5 "$WORK/build-module.log")"
	finish
fi
OUT="$WORK/results"
vm_status=0
bash "$SRC/docs/ci/run-modrace.sh" "$SRC/tests/vm/scenarios/seed-unprotected.sh" "$OUT" \
	"$repo/seed_core.ko" "$repo/seed_drv.ko" -- --kernel-flavor "$FLAVOR" \
	--file "$KMOD/seedctl" --file "$SRC/tests/vm/scenarios/seed-lib.sh" \
	> "$WORK/run-modrace.log" 2>&1 || vm_status=$?
expect_status 1 "$vm_status" "step 2 (run-modrace.sh) on the seed race"
seed_no_splats
for f in report.sarif report.ktap report.json report.txt trace console.log; do
	[ -s "$OUT/$f" ] && pass "artifact $f" || fail "no artifact $f"
done
if python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if any(r["ruleId"] == "unprotected-get" for r in s["runs"][0]["results"]) else 1)' \
	"$OUT/report.sarif"; then
	pass "report.sarif has the unprotected-get result"
else
	fail "report.sarif lacks the unprotected-get result"
fi
seed_report --complete --expect unprotected-get:seed_drv:seed_get_driver_unlocked@seed_core
finish
