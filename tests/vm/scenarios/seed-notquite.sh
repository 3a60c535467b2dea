#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-notquite (variant 2, the seed's "not quite correct"): seed_core finds the driver with no
# lock and takes seed_driver_lock only around try_module_get(drv->owner). The lock is the right
# one (the unload path takes it) but the object was found outside it: an rmmod can unlink the
# driver and make its module GOING between the lookup and the locked get. The same load as
# seed-stress (open loops against rmmod/insmod cycles, race_delay_us between lookup and lock)
# shows it: modrace must report get-while-going on seed_drv at seed_get_driver_notquite, with
# seed_driver_lock held at the get, and must not call that site protected. As in seed-stress,
# seed_core's srcu_guard keeps the guest alive. Needs seedctl in $1. Exit 0 when hit.
set -u
M=$1
. "$M/seed-lib.sh"
# A get that only sees GOING (drv still registered, the unregister still waiting for the lock)
# is what the correct variant sees too: wait for the get on a driver unregistered meanwhile.
HIT_COUNTER=stale_gets seed_race seed-notquite 2
