#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-rcu (variant 5): the lookup and try_module_get run inside rcu_read_lock(); the unload path
# unlinks the driver and waits with synchronize_rcu() (and free_module waits for a grace period
# before freeing module memory). Clean: no finding; the site in seed_get_driver_rcu is rcu.
set -eu
M=$1
insmod "$M/seed_core.ko" variant=5
insmod "$M/seed_drv.ko"
for cycle in 1 2; do
	for i in 1 2 3; do cat /dev/seed; done
	rmmod seed_drv
	[ "$cycle" = 2 ] || insmod "$M/seed_drv.ko"
done
rmmod seed_core
echo "seed-rcu: done"
