#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Variant 1 under load in a real guest, bounded in time: two open loops against rmmod/insmod
# cycles with race_delay_us widening the lookup->get window, until seed_core sees a get on a
# GOING module (the scenario gives up after 60 s, the VM after 150 s). Wants unprotected-get and
# get-while-going on seed_drv at seed_get_driver_unlocked, nothing else.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
# The bound: 150 s, scaled for slow flavours (the development kernel).
bound=$(scaled 150)
seed_run seed-stress 150
seed_expect_status 1
seed_no_splats
seed_log_has "seed-stress: HIT"
grep -hE "_gets after" "$OUT/scenario.log" || true
[ "$RUN_SECONDS" -lt "$bound" ] && pass "stress run took ${RUN_SECONDS}s (< $bound s)" \
	|| fail "stress run took ${RUN_SECONDS}s (bound $bound s)"
seed_report \
	--expect unprotected-get:seed_drv:seed_get_driver_unlocked@seed_core \
	--expect get-while-going:seed_drv:seed_get_driver_unlocked@seed_core
finish
