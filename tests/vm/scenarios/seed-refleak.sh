#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-refleak: seed_core (correct variant 3 lookup) runs with leak_on_error=1 and seed_drv with
# fail_open=1: each open takes the module reference, the driver's open op fails with EIO, and
# the error path returns without module_put. Two failed opens leak two references, so
# `rmmod seed_drv` must then fail busy. modrace must report ref-leak on seed_drv naming the get
# site in seed_get_driver_locked. The modules stay loaded (that is the bug).
set -u
M=$1
insmod "$M/seed_core.ko" variant=3 leak_on_error=1 || exit 1
insmod "$M/seed_drv.ko" fail_open=1 || exit 1
for i in 1 2; do
	if cat /dev/seed; then echo "seed-refleak: open unexpectedly succeeded"; exit 1; fi
done
echo "seed-refleak: seed_drv refcnt $(cat /sys/module/seed_drv/refcnt)"
[ "$(cat /sys/module/seed_drv/refcnt)" = 2 ] || { echo "seed-refleak: expected 2 leaked references"; exit 1; }
if rmmod seed_drv; then echo "seed-refleak: rmmod seed_drv unexpectedly succeeded"; exit 1; fi
echo "seed-refleak: rmmod seed_drv failed busy, as expected"
grep '^seed_drv ' /proc/modules
echo "seed-refleak: done"
