#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-unprotected (variant 1): /dev/seed's open path reads drv->owner and calls try_module_get
# with no lock that seed_drv's unload path also takes (only misc_mtx, which seed_drv's exit never
# touches). modrace must report unprotected-get on seed_drv at seed_get_driver_unlocked.
# Runs in the guest as root; $1 holds seed_core.ko and seed_drv.ko.
set -eu
M=$1
. "$M/seed-lib.sh"
seed_open_unload seed-unprotected 1
