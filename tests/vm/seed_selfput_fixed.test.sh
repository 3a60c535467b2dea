#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The fixed close path in a real guest: the same self-putting driver, but seed_core holds its own
# reference (__module_get ... module_put) around ops->release, so the driver's put is never
# the last. Clean: no finding at all.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-selfput-fixed
seed_expect_status 0
seed_no_splats
seed_log_has "seed-selfput-fixed: done"
seed_report --complete --site seed_get_driver_locked@seed_core:protected:seed_driver_lock
finish
