#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Variant 3 in a real guest: lookup + try_module_get under seed_driver_lock, which seed_drv's
# unload path (seed_unregister_driver) also takes. Clean: no finding, the site protected by
# seed_driver_lock; misc_open's get of seed_core is protected by misc_mtx (seed_core's exit
# deregisters its misc device).
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-locked
seed_expect_status 0
seed_no_splats
seed_log_has "seed-locked: done"
seed_report --complete \
	--site seed_get_driver_locked@seed_core:protected:seed_driver_lock \
	--site misc_open:protected:misc_mtx
finish
