#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# reuse: reuse_a and its client loaded, /proc/reuse_a read, both unloaded; then reuse_b loaded
# where reuse_a was (same core text address: the kernel's module allocator reuses the freed
# area; checked, and retried with a reload of reuse_b when it did not), its client loaded,
# /proc/reuse_b read, both unloaded. Prints the two text addresses.
set -eu
M=$1
text() { cat "/sys/module/$1/sections/.text"; }

insmod "$M/reuse_a.ko"
insmod "$M/reuse_client_a.ko"
for i in 1 2 3; do cat /proc/reuse_a; done
a_text=$(text reuse_a)
rmmod reuse_client_a
rmmod reuse_a

tries=0
while :; do
	insmod "$M/reuse_b.ko"
	b_text=$(text reuse_b)
	[ "$b_text" = "$a_text" ] && break
	tries=$((tries + 1))
	[ "$tries" -ge 5 ] && { echo "reuse: reuse_b never landed at reuse_a's $a_text (last $b_text)"; exit 1; }
	rmmod reuse_b
done
insmod "$M/reuse_client_b.ko"
for i in 1 2 3; do cat /proc/reuse_b; done
rmmod reuse_client_b
rmmod reuse_b
echo "reuse: reuse_a and reuse_b both at $a_text ($tries retries)"
echo "reuse: done"
