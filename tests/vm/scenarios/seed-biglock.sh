#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-biglock (variant 4): lookup and try_module_get run under seed_big_lock, a global lock in
# the style of the old BKL that seed_unregister_driver also takes on seed_drv's unload path.
# Clean: modrace must report no finding and mark the site in seed_get_driver_biglock as
# protected by seed_big_lock.
set -eu
M=$1
. "$M/seed-lib.sh"
seed_open_unload seed-biglock 4
