#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-biglock (variant 4): lookup and try_module_get run under seed_big_lock, a global lock in
# the style of the old BKL that seed_unregister_driver also takes on seed_drv's unload path.
# Clean: modrace must report no finding and mark the site in seed_get_driver_biglock as
# protected by seed_big_lock.
set -eu
M=$1
insmod "$M/seed_core.ko" variant=4
insmod "$M/seed_drv.ko"
for cycle in 1 2; do
	for i in 1 2 3; do cat /dev/seed; done
	rmmod seed_drv
	[ "$cycle" = 2 ] || insmod "$M/seed_drv.ko"
done
rmmod seed_core
echo "seed-biglock: done"
