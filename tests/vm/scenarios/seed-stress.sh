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
VARIANT=1
DELAY_US=2000
LIMIT=60
OPENERS=2

insmod "$M/seed_core.ko" variant=$VARIANT race_delay_us=$DELAY_US || exit 1
insmod "$M/seed_drv.ko" || exit 1
stop=/tmp/seed-stress.stop
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
		insmod "$M/seed_drv.ko" || { echo "seed-stress: insmod failed"; break; }
	else
		busy=$((busy + 1))
	fi
done
elapsed=$(($(date +%s) - start))
touch "$stop"
for p in $pids; do wait "$p"; done
echo "seed-stress: variant $VARIANT delay ${DELAY_US}us: $hits GOING get(s) after ${elapsed}s," \
	"$cycles unload cycles, $busy busy rmmods," \
	"coming_gets $(cat /sys/module/seed_core/parameters/coming_gets)"
tries=0
while grep -q '^seed_drv ' /proc/modules && ! rmmod seed_drv; do
	tries=$((tries + 1)); [ "$tries" -lt 20 ] || { echo "seed-stress: seed_drv stays busy"; exit 1; }
	sleep 1
done
rmmod seed_core
if [ "$hits" -ge 1 ]; then echo "seed-stress: HIT"; exit 0; fi
echo "seed-stress: MISS: no get on a GOING module within ${LIMIT}s"
exit 1
