#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Variant 4 in a real guest: lookup + get under seed_big_lock, a global lock the unload path
# also takes. Clean: no finding, the site protected by seed_big_lock (not by seed_driver_lock,
# which the open path does not hold).
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-biglock
seed_expect_status 0
seed_no_splats
seed_log_has "seed-biglock: done"
seed_report --complete --site seed_get_driver_biglock@seed_core:protected:seed_big_lock
finish
