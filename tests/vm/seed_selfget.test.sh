#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Self-get in a real guest: seed_drv calls try_module_get(THIS_MODULE) from its own open op.
# Wants self-get on seed_drv at seed_drv_open and nothing else (its balancing put happens while
# seed_core still holds the open's reference, so it is not a self-put).
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-selfget
# self-get is a warning: with the default --fail-on error, modrace-vm exits 0 and the finding is
# in the report (checked below).
seed_expect_status 0
seed_no_splats
seed_log_has "seed-selfget: done"
seed_report --complete \
	--expect self-get:seed_drv:seed_drv_open@seed_drv \
	--site seed_get_driver_locked@seed_core:protected:seed_driver_lock
finish
