#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The development kernel (KASAN, lockdep): seed-kasan, the stress race without seed_core's
# srcu_guard, is a real use-after-free. KASAN must report it in the guest log, and modrace's
# report must explain it: unprotected-get on seed_drv at seed_get_driver_unlocked (the get
# takes no lock the unload path takes). The splat is the expected outcome here, so the runner
# gets --allow-splats and this test checks which splat it was.
SRC=$1 BUILD=$2
MODRACE_TEST_FLAVOR=${MODRACE_TEST_FLAVOR:-dev-6.1-lockdep}
export MODRACE_TEST_FLAVOR
. "$SRC/tests/vm/seed_common.sh"
seed_build
OUT="$WORK/seed-kasan"
start=$(date +%s)
run_vm "$OUT" --scenario "$SRC/tests/vm/scenarios/seed-kasan.sh" --timeout "$(scaled 240)" --allow-splats \
	--module "$KMOD/seed_core.ko" --module "$KMOD/seed_drv.ko" --file "$KMOD/seedctl" \
	--file "$SRC/tests/vm/scenarios/seed-lib.sh"
echo "note: seed-kasan: modrace-vm exit $vm_status after $(($(date +%s) - start))s, output in $OUT"
seed_expect_status 1
seed_log_has "seed-kasan: KASAN"
if grep -qE "BUG: KASAN: (slab-|vmalloc-)?(use-after-free|out-of-bounds)" "$OUT/console.log"; then
	pass "KASAN: $(grep -m1 -oE 'BUG: KASAN: .*' "$OUT/console.log")"
else
	fail "no KASAN use-after-free report in the guest log"
fi
# The oops that follows KASAN's report kills the opener mid-open: its reference may never be put
# and the run ends without unloading what is left, so a leak (or a late get on the GOING module
# that lost the race the other way) may be reported beside the cause.
seed_report \
	--expect unprotected-get:seed_drv:seed_get_driver_unlocked@seed_core \
	--allow get-while-going:seed_drv --allow ref-leak
finish
