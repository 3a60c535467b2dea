#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Negative control for seed_stress/seed_notquite: the same load on the correct variant 3. A get
# still lands on a GOING module (rmmod marks it GOING before its exit blocks on
# seed_driver_lock, held by the open path), fails as designed, and nothing is freed under it.
# Wants no finding at all and the site protected by seed_driver_lock.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-locked-stress 150
seed_expect_status 0
seed_no_splats
seed_log_has "seed-locked-stress: HIT"
grep -hE "_gets after" "$OUT/scenario.log" || true
seed_report --site seed_get_driver_locked@seed_core:protected:seed_driver_lock
finish
