#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# spin-reg: spin_reg's lookups pin spin_client's objects from a read of /proc/spin_reg (not
# /dev/seed, not seed_core): one under spin_reg_lock alone, which spin_client's unload never
# takes (preempt-only-get), one under preempt_disable() and no lock (preempt-only-get too), one
# inside rcu_read_lock() too, whose unregister waits with synchronize_rcu() (protected by rcu).
# Two load cycles of spin_client, three reads each.
set -eu
M=$1
insmod "$M/spin_reg.ko"
insmod "$M/spin_client.ko"
for cycle in 1 2; do
	for read in 1 2 3; do
		got=$(cat /proc/spin_reg)
		[ "$got" = "spin 0 rcu 0 preempt 0" ] || { echo "spin-reg: read $read of cycle $cycle: $got"; exit 1; }
	done
	rmmod spin_client
	# Nothing registered now: both lookups find nothing and take no reference.
	got=$(cat /proc/spin_reg)
	[ "$got" = "spin -2 rcu -2 preempt -2" ] || { echo "spin-reg: unexpected read with no client: $got"; exit 1; }
	[ "$cycle" = 2 ] || insmod "$M/spin_client.ko"
done
rmmod spin_reg
echo "spin-reg: done"
