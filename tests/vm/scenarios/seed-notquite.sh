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
VARIANT=2
DELAY_US=2000
LIMIT=60
OPENERS=2

insmod "$M/seed_core.ko" variant=$VARIANT race_delay_us=$DELAY_US || exit 1
insmod "$M/seed_drv.ko" || exit 1
stop=/tmp/seed-notquite.stop
rm -f "$stop"
pids=
n=1
while [ "$n" -le "$OPENERS" ]; do
	"$M/seedctl" hammer /dev/seed $((LIMIT + 10)) "$stop" &
	pids="$pids $!"
	n=$((n + 1))
done
start=$(date +%s)
cycles=0 busy=0 hits=0
while :; do
	hits=$(cat /sys/module/seed_core/parameters/going_gets)
	[ "$hits" -ge 1 ] && break
	[ $(($(date +%s) - start)) -ge "$LIMIT" ] && break
	# Busy (an opener holds a reference right now) is expected; just try again.
	if rmmod seed_drv 2>/dev/null; then
		cycles=$((cycles + 1))
		insmod "$M/seed_drv.ko" || { echo "seed-notquite: insmod failed"; break; }
	else
		busy=$((busy + 1))
	fi
done
elapsed=$(($(date +%s) - start))
touch "$stop"
for p in $pids; do wait "$p"; done
echo "seed-notquite: variant $VARIANT delay ${DELAY_US}us: $hits GOING get(s) after ${elapsed}s," \
	"$cycles unload cycles, $busy busy rmmods," \
	"coming_gets $(cat /sys/module/seed_core/parameters/coming_gets)"
tries=0
while grep -q '^seed_drv ' /proc/modules && ! rmmod seed_drv; do
	tries=$((tries + 1)); [ "$tries" -lt 20 ] || { echo "seed-notquite: seed_drv stays busy"; exit 1; }
	sleep 1
done
rmmod seed_core
if [ "$hits" -ge 1 ]; then echo "seed-notquite: HIT"; exit 0; fi
echo "seed-notquite: MISS: no get on a GOING module within ${LIMIT}s"
exit 1
