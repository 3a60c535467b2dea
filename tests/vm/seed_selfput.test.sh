#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Self-put close path in a real guest: seed_drv's release op drops the module's last
# reference itself and keeps executing its own code. Wants self-put on seed_drv at
# seed_drv_release and nothing else; the open side (variant 3) stays protected.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-selfput
seed_expect_status 1
seed_no_splats
seed_log_has "seed-selfput: done"
seed_report --complete \
	--expect self-put:seed_drv:seed_drv_release@seed_drv \
	--site seed_get_driver_locked@seed_core:protected:seed_driver_lock
finish
