#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Variant 1 in a real guest: /dev/seed's open path takes try_module_get(drv->owner) with no lock
# that seed_drv's unload path takes. Wants exactly one kind of finding, unprotected-get on
# seed_drv at seed_core's seed_get_driver_unlocked, and that site not called protected.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-unprotected
seed_expect_status 1
seed_no_splats
seed_log_has "seed-unprotected: done"
seed_report --complete \
	--expect unprotected-get:seed_drv:seed_get_driver_unlocked@seed_core \
	--site "seed_get_driver_unlocked@seed_core:!protected"
finish
