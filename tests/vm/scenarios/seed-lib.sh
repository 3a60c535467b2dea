# SPDX-License-Identifier: GPL-2.0-only
# Shared by the seed scenarios (sourced in the guest as "$1/seed-lib.sh"; modrace-vm copies it
# next to the modules). Every function takes the scenario's name for its messages.

# seed_open_unload NAME VARIANT: seed_core with the given open-path variant, seed_drv loaded,
# /dev/seed opened three times per cycle, seed_drv unloaded; two load cycles so the unload path
# (and the locks it takes) is seen twice. Exits non-zero on any failure (set -e in the caller).
seed_open_unload() {
	name=$1 variant=$2
	insmod "$M/seed_core.ko" variant="$variant"
	insmod "$M/seed_drv.ko"
	for cycle in 1 2; do
		for i in 1 2 3; do cat /dev/seed; done
		rmmod seed_drv
		[ "$cycle" = 2 ] || insmod "$M/seed_drv.ko"
	done
	rmmod seed_core
	echo "$name: done"
}

# seed_race NAME VARIANT: open loops (seedctl hammer, two of them) against rmmod/insmod cycles of
# seed_drv, with race_delay_us widening the window between the lookup and try_module_get. Stops
# as soon as seed_core has seen HITS (default 1) gets attempted on a GOING module
# (/sys/module/seed_core/parameters/going_gets), or after LIMIT seconds. Exits 0 when the window
# was hit, 1 when not. Needs seedctl in $M.
seed_race() {
	name=$1 variant=$2
	# Debian's kernels hit the window within the first few unload cycles (under 1 s each).
	# A lockdep kernel (the development kernel: lockdep and KASAN, under emulation) needs 20-30 s
	# per cycle and an open takes ~100 ms there, so a 2 ms window is rarely hit (notquite: 1 to
	# 3 cycles and more): 240 s for about ten tries, and a 10 ms window.
	limit=60 delay=2000
	[ -e /proc/lockdep ] && limit=240 delay=10000
	DELAY_US=${DELAY_US:-$delay} LIMIT=${LIMIT:-$limit} OPENERS=${OPENERS:-2}
	# What counts as the window hit: seed_core's counter (going_gets: a get on a GOING module;
	# stale_gets: variant 2's get on a driver already unregistered).
	HIT_COUNTER=${HIT_COUNTER:-going_gets} HITS=${HITS:-1}
	# shellcheck disable=SC2086 # SEED_CORE_ARGS: extra module parameters, word-split on purpose
	insmod "$M/seed_core.ko" variant="$variant" race_delay_us="$DELAY_US" ${SEED_CORE_ARGS:-} || exit 1
	insmod "$M/seed_drv.ko" || exit 1
	stop=/tmp/$name.stop
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
		hits=$(cat /sys/module/seed_core/parameters/"$HIT_COUNTER")
		# Waiting for KASAN: a get on a GOING module is not yet a use-after-free; go on.
		[ "$hits" -ge "$HITS" ] && [ -z "${STOP_ON_KASAN:-}" ] && break
		# Without srcu_guard the late get touches freed memory: KASAN's report ends the run.
		# The task that hit it was killed by the oops that follows, possibly holding locks: no
		# clean-up is attempted, the openers are left where they are.
		if [ -n "${STOP_ON_KASAN:-}" ] && dmesg | grep -q "BUG: KASAN"; then
			touch "$stop"
			echo "$name: KASAN after $(($(date +%s) - start))s, $cycles unload cycles"
			exit 0
		fi
		[ $(($(date +%s) - start)) -ge "$LIMIT" ] && break
		# Busy (an opener holds a reference right now) is expected; just try again.
		if rmmod seed_drv 2>/dev/null; then
			cycles=$((cycles + 1))
			insmod "$M/seed_drv.ko" || { echo "$name: insmod failed"; break; }
		else
			busy=$((busy + 1))
		fi
	done
	elapsed=$(($(date +%s) - start))
	touch "$stop"
	for p in $pids; do wait "$p"; done
	echo "$name: variant $variant delay ${DELAY_US}us: $hits $HIT_COUNTER after ${elapsed}s," \
		"$cycles unload cycles, $busy busy rmmods," \
		"coming_gets $(cat /sys/module/seed_core/parameters/coming_gets)"
	tries=0
	while grep -q '^seed_drv ' /proc/modules && ! rmmod seed_drv; do
		tries=$((tries + 1)); [ "$tries" -lt 20 ] || { echo "$name: seed_drv stays busy"; exit 1; }
		sleep 1
	done
	rmmod seed_core
	if [ "$hits" -ge 1 ]; then echo "$name: HIT"; exit 0; fi
	echo "$name: MISS: no get on a GOING module within ${LIMIT}s"
	exit 1
}
