#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-locked-stress (negative control for seed-stress/seed-notquite): the same load, open loops
# against rmmod/insmod cycles with race_delay_us, on the correct variant 3. Gets still land on
# GOING modules: rmmod marks seed_drv GOING before its exit runs, and its exit then blocks on
# seed_driver_lock, which the open path holds across lookup and get. That try_module_get fails
# exactly as designed and nothing can be freed under it: modrace must report no finding here.
# Needs seedctl in $1. Exit 0 when a get on a GOING module was seen.
set -u
M=$1
. "$M/seed-lib.sh"
seed_race seed-locked-stress 3
