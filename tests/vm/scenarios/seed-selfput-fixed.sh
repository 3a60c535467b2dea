#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-selfput-fixed: the same self-putting driver (selfput=1), but seed_core runs with
# release_guard=1: it takes its own reference (__module_get) before calling ops->release and
# drops it (module_put, from core code) after the driver has returned, so the driver's put is
# never the last one. Clean: modrace must report no finding.
set -eu
M=$1
insmod "$M/seed_core.ko" variant=3 release_guard=1
insmod "$M/seed_drv.ko" selfput=1
for i in 1 2 3; do cat /dev/seed; done
[ "$(cat /sys/module/seed_drv/refcnt)" = 0 ] || { echo "seed-selfput-fixed: refcnt not 0"; exit 1; }
rmmod seed_drv
rmmod seed_core
echo "seed-selfput-fixed: done"
