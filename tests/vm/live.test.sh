#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `modrace live` in the guest: the seed race (seed-unprotected) is reported while the scenario
# runs, before the end-of-run summary, and live's exit status says there were findings.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build

cat > "$WORK/live.sh" <<'S'
set -u
cd "$1"
modrace live --ready-file /tmp/live-ready -- sh "$1/seed-unprotected.sh" "$1" > "$MODRACE_OUT/live.txt" 2> "$MODRACE_OUT/live.err"
echo "live-status=$?"
S
OUT="$WORK/live"
run_vm "$OUT" --no-record --scenario "$WORK/live.sh" --timeout 180 \
	--module "$KMOD/seed_core.ko" --module "$KMOD/seed_drv.ko" --file "$KMOD/seedctl" \
	--file "$SRC/tests/vm/scenarios/seed-unprotected.sh" --file "$SRC/tests/vm/scenarios/seed-lib.sh"
expect_status 0 "$vm_status" "modrace-vm running modrace live"
seed_no_splats
grep -q "live-status=1" "$OUT/scenario.log" && pass "modrace live exited 1 (findings)" \
	|| fail "modrace live status: $(grep live-status "$OUT/scenario.log"; tail -3 "$OUT/live.err")"
grep -q "seed-unprotected: done" "$OUT/live.txt" && pass "the scenario ran under live" \
	|| fail "scenario output missing from live.txt"
block=$(grep -n "unprotected-get" "$OUT/live.txt" | head -1 | cut -d: -f1)
summary=$(grep -n "^modrace: analysed" "$OUT/live.txt" | head -1 | cut -d: -f1)
if [ -n "$block" ] && grep -q "seed_drv" "$OUT/live.txt" && grep -q "seed_get_driver_unlocked" "$OUT/live.txt"; then
	pass "live reported unprotected-get on seed_drv at seed_get_driver_unlocked"
else
	fail "no unprotected-get block naming seed_drv/seed_get_driver_unlocked in live.txt: $(head -20 "$OUT/live.txt")"
fi
if [ -n "$block" ] && [ -n "$summary" ] && [ "$block" -lt "$summary" ]; then
	pass "the finding came before the end-of-run summary"
else
	fail "finding line ${block:-none}, summary line ${summary:-none}"
fi
grep -q "seed-unprotected: done" <(sed -n "1,${block:-0}p" "$OUT/live.txt") \
	&& echo "note: the finding was printed after the scenario finished" \
	|| pass "the finding was printed while the scenario was still running"
finish
