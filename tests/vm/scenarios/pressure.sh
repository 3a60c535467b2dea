#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# pressure: short-lived module loads while the ring buffer overflows (issue 14, item 2).
# modrace_bench floods try_module_get/module_put pairs from two writers (one per CPU) while
# reuse_a and its client are loaded, used and unloaded again ten times, each load alive for a
# fraction of a second. Prints how many loads it made.
set -eu
M=$1
bench=/sys/kernel/debug/modrace_bench/refcount
insmod "$M/modrace_bench.ko"
rm -f /tmp/pressure.stop
for w in 1 2; do
	(while [ ! -e /tmp/pressure.stop ]; do echo 20000 > "$bench"; done) &
done
sleep 1
n=0
while [ "$n" -lt 10 ]; do
	insmod "$M/reuse_a.ko"
	insmod "$M/reuse_client_a.ko"
	cat /proc/reuse_a > /dev/null
	rmmod reuse_client_a
	rmmod reuse_a
	n=$((n + 1))
done
touch /tmp/pressure.stop
wait
rmmod modrace_bench
echo "pressure: $n loads of reuse_a and reuse_client_a under the flood"
echo "pressure: done"
