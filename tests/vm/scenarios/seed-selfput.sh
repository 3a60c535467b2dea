#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-selfput (variant 5 of the brief): seed_drv is loaded with selfput=1, so its release op
# drops the open's module reference itself (module_put(THIS_MODULE)), which is the module's
# last one, and then keeps running its own code (seed_drv_account_release, module data, the
# return through its text). Nothing races here, so nothing crashes; modrace must still report
# self-put on seed_drv at seed_drv_release. The open side is the correct variant 3.
set -eu
M=$1
insmod "$M/seed_core.ko" variant=3
insmod "$M/seed_drv.ko" selfput=1
for i in 1 2 3; do cat /dev/seed; done
# The counts balance: the module is unloadable.
[ "$(cat /sys/module/seed_drv/refcnt)" = 0 ] || { echo "seed-selfput: refcnt not 0"; exit 1; }
rmmod seed_drv
rmmod seed_core
echo "seed-selfput: done"
