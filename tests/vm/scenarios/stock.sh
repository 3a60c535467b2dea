#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# stock: real Debian modules and the kernel's own (correct) open paths, loaded and unloaded
# repeatedly, so modrace sees well-known protected gets and their unload paths:
#   - filesystem lookup: mount -t vfat / -t ext4 -> get_fs_type -> __get_fs_type takes
#     try_module_get(fs->owner) under file_systems_lock; unregister_filesystem takes it too
#     (the first round lets get_fs_type autoload the modules through request_module)
#   - misc device: /dev/loop-control (losetup -f) -> misc_open, fops_get under misc_mtx
#   - block device: the loop device opened by mount (blkdev_get -> the disk's fops owner)
#   - netdev: ip link add/del type dummy -> rtnl_link_ops lookup under rtnl
#   - NLS tables for vfat (load_nls: try_module_get under nls_lock)
# Expected from modrace: no finding. Runs in the guest as root; needs no files in $1.
set -u
# Round 1 autoloads, later ones load explicitly and reload what was unloaded. A lockdep kernel
# (the development kernel, under emulation) needs ~2 min per round: two rounds there.
ROUNDS=3
[ -e /proc/lockdep ] && ROUNDS=2
# request_module() runs the kernel's modprobe_path; the guest's busybox lives in /bin.
[ -x /sbin/modprobe ] || echo /bin/modprobe > /proc/sys/kernel/modprobe
mkdir -p /mnt/vfat /mnt/ext
dd if=/dev/zero of=/tmp/vfat.img bs=1024 count=4096 2>/dev/null
mkdosfs /tmp/vfat.img > /dev/null || { echo "stock: mkdosfs failed"; exit 1; }
dd if=/dev/zero of=/tmp/ext.img bs=1024 count=8192 2>/dev/null
# busybox mke2fs writes ext2, and only onto a block device; Debian's ext4 module serves ext2
# (EXT4_USE_FOR_EXT2) when mounted as -t ext4.
modprobe loop || { echo "stock: modprobe loop failed"; exit 1; }
dev=$(losetup -f) && losetup "$dev" /tmp/ext.img && mke2fs -q "$dev" > /dev/null \
	&& losetup -d "$dev" || { echo "stock: mke2fs on a loop device failed"; exit 1; }

fail=0
step() { # step WHAT COMMAND...: run, report, remember failures
	what=$1; shift
	if "$@"; then echo "stock: ok: $what"; else echo "stock: FAILED: $what"; fail=1; fi
}
unload() { # unload MODULE...: rmmod the ones that are loaded, in order
	for m in "$@"; do
		grep -q "^$m " /proc/modules || continue
		step "rmmod $m" rmmod "$m"
	done
}

round=1
while [ "$round" -le "$ROUNDS" ]; do
	echo "stock: round $round"
	if [ "$round" -gt 1 ]; then
		# Later rounds load explicitly; round 1 relies on the kernel's autoloading.
		step "modprobe loop vfat ext4 dummy" modprobe -a loop vfat ext4 dummy
	else
		modprobe loop
	fi
	dev=$(losetup -f) && step "losetup $dev vfat.img" losetup "$dev" /tmp/vfat.img
	step "mount -t vfat $dev" mount -t vfat "$dev" /mnt/vfat
	echo "round $round" > /mnt/vfat/hello.txt && cat /mnt/vfat/hello.txt > /dev/null
	step "umount vfat" umount /mnt/vfat
	step "losetup -d $dev" losetup -d "$dev"
	step "mount -o loop -t ext4 ext.img" mount -o loop -t ext4 /tmp/ext.img /mnt/ext
	echo "round $round" > /mnt/ext/hello.txt && sync
	step "umount ext4" umount /mnt/ext
	step "ip link add d0 type dummy" ip link add d0 type dummy
	ip link set d0 up
	step "ip link del d0" ip link del d0
	grep -E '^(vfat|fat|ext4|jbd2|mbcache|loop|dummy|nls_[a-z0-9]+) ' /proc/modules | cut -d' ' -f1,3 | tr '\n' ' '
	echo
	unload vfat fat nls_utf8 nls_cp437 nls_ascii nls_iso8859_1 ext4 jbd2 mbcache crc16 loop dummy
	round=$((round + 1))
done
left=$(grep -E '^(vfat|fat|ext4|jbd2|mbcache|loop|dummy) ' /proc/modules | cut -d' ' -f1 | tr '\n' ' ')
[ -z "$left" ] || { echo "stock: still loaded: $left"; fail=1; }
[ "$fail" = 0 ] && echo "stock: done" || echo "stock: some steps failed"
exit "$fail"
