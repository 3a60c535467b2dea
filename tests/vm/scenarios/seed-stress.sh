#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-stress (variant 1 under load): open loops (seedctl hammer, two of them) against
# rmmod/insmod cycles of seed_drv, with seed_core's race_delay_us widening the window between
# reading drv->owner and try_module_get. It stops as soon as seed_core has seen a get attempted
# on a GOING module (/sys/module/seed_core/parameters/going_gets), or after LIMIT seconds.
# modrace must report unprotected-get and get-while-going on seed_drv at
# seed_get_driver_unlocked.
#
# Why the guest survives: seed_core's srcu_guard (on by default) keeps seed_drv's memory valid
# until racing lookups have finished, so a late get fails cleanly on the GOING module instead of
# reading freed memory (see seed_core.c). Without it this is a real use-after-free.
# Needs seedctl in $1. Exit 0 when the window was hit, 1 when not within LIMIT.
set -u
M=$1
. "$M/seed-lib.sh"
seed_race seed-stress 1
