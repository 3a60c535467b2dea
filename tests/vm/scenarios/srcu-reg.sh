#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# srcu-reg: srcu_reg's lookups pin srcu_client inside SRCU read sides (tests/kmod/srcu_reg.c),
# entered by writes to /proc/srcu_reg/* (no misc device, no lock of srcu_reg held); srcu_client's
# exit unregisters with list_del_rcu() + synchronize_srcu(). Two load cycles: the first unload
# waits with synchronize_srcu, the second with synchronize_srcu_expedited. Every file is written
# three times per cycle; call_wrong is the negative control (a read side unregister never waits
# for). call_down and call_nmisafe exist from 6.4 on.
set -eu
M=$1
insmod "$M/srcu_reg.ko"
paths=""
for p in call call_wrong call_down call_nmisafe; do
	[ -e "/proc/srcu_reg/$p" ] && paths="$paths $p"
done
n=0
for cycle in 1 2; do
	[ "$cycle" = 2 ] && echo 1 > /sys/module/srcu_reg/parameters/expedited
	insmod "$M/srcu_client.ko"
	for p in $paths; do
		for i in 1 2 3; do
			echo client > "/proc/srcu_reg/$p"
			n=$((n + 1))
		done
	done
	rmmod srcu_client
done
calls=$(cat /sys/module/srcu_reg/parameters/calls)
rmmod srcu_reg
echo "srcu-reg: paths$paths"
[ "$calls" = "$n" ] || { echo "srcu-reg: $calls calls, expected $n"; exit 1; }
echo "srcu-reg: $calls calls done"
