#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-kasan (variant 1 under load, for a KASAN kernel): the stress scenario with seed_core's
# srcu_guard off, so nothing keeps seed_drv's memory alive for a racing lookup: an open that read
# drv->owner just before seed_drv was freed calls try_module_get on freed module memory. KASAN
# reports that use-after-free (the symptom); modrace's report must name the race behind it:
# unprotected-get on seed_drv at seed_get_driver_unlocked, no lock shared with its unload path.
# Stops at KASAN's report, or after LIMIT seconds. Needs seedctl in $1.
set -u
M=$1
. "$M/seed-lib.sh"
# A 200 ms window between the lookup and the read of drv->owner: this kernel manages only a few
# unload cycles a minute, and the unlink-to-kfree gap in seed_drv's exit is microseconds wide;
# with the window this long, a lookup lands before some unlink and reads the freed object.
DELAY_US=200000 SEED_CORE_ARGS=srcu_guard=0 STOP_ON_KASAN=1 seed_race seed-kasan 1
