#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Ref-leak in a real guest: seed_core's open error path returns without module_put. In the
# guest rmmod seed_drv then fails busy; modrace must report ref-leak on seed_drv naming the get
# site in seed_get_driver_locked, and list seed_drv's references as outstanding.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-refleak
seed_expect_status 1
seed_no_splats
seed_log_has "rmmod seed_drv failed busy, as expected"
seed_log_has "seed-refleak: done"
seed_report --complete \
	--expect ref-leak:seed_drv:seed_get_driver_locked@seed_core \
	--outstanding seed_drv:seed_get_driver_locked@seed_core
finish
