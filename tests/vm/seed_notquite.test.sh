#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Variant 2 ("not quite correct") under load in a real guest: the driver is found outside
# seed_driver_lock and the lock is taken only around the get. The scenario hammers opens against
# rmmod/insmod cycles until a get lands on a GOING module. Wants get-while-going on seed_drv at
# seed_get_driver_notquite with seed_driver_lock held, and that site not called protected.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-notquite 150
seed_expect_status 1
seed_no_splats
seed_log_has "seed-notquite: HIT"
grep -hE "_gets after" "$OUT/scenario.log" || true
seed_report \
	--expect get-while-going:seed_drv:seed_get_driver_notquite@seed_core:seed_driver_lock \
	--site "seed_get_driver_notquite@seed_core:!protected"
finish
