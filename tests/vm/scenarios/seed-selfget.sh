#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-selfget: seed_drv (selfget=1) calls try_module_get(THIS_MODULE) in its open op. A module
# cannot pin itself: if its code is running, someone else already holds it (here seed_core,
# correctly, variant 3), and if nobody did, the get comes too late. modrace must report self-get
# on seed_drv at seed_drv_open. The references balance (the release op puts it back while the
# core still holds its own), so the module unloads.
set -eu
M=$1
insmod "$M/seed_core.ko" variant=3
insmod "$M/seed_drv.ko" selfget=1
for i in 1 2 3; do cat /dev/seed; done
[ "$(cat /sys/module/seed_drv/refcnt)" = 0 ] || { echo "seed-selfget: refcnt not 0"; exit 1; }
rmmod seed_drv
rmmod seed_core
echo "seed-selfget: done"
