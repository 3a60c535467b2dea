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
VARIANT=3
DELAY_US=2000
LIMIT=60
OPENERS=2

insmod "$M/seed_core.ko" variant=$VARIANT race_delay_us=$DELAY_US || exit 1
insmod "$M/seed_drv.ko" || exit 1
stop=/tmp/seed-locked-stress.stop
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
		insmod "$M/seed_drv.ko" || { echo "seed-locked-stress: insmod failed"; break; }
	else
		busy=$((busy + 1))
	fi
done
elapsed=$(($(date +%s) - start))
touch "$stop"
for p in $pids; do wait "$p"; done
echo "seed-locked-stress: variant $VARIANT delay ${DELAY_US}us: $hits GOING get(s) after ${elapsed}s," \
	"$cycles unload cycles, $busy busy rmmods," \
	"coming_gets $(cat /sys/module/seed_core/parameters/coming_gets)"
tries=0
while grep -q '^seed_drv ' /proc/modules && ! rmmod seed_drv; do
	tries=$((tries + 1)); [ "$tries" -lt 20 ] || { echo "seed-locked-stress: seed_drv stays busy"; exit 1; }
	sleep 1
done
rmmod seed_core
if [ "$hits" -ge 1 ]; then echo "seed-locked-stress: HIT"; exit 0; fi
echo "seed-locked-stress: MISS: no get on a GOING module within ${LIMIT}s"
exit 1
