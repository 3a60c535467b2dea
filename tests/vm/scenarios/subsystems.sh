#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# subsystems: the kernel's own get sites in twelve subsystems, driven from the guest with busybox
# and kpathctl (tests/kmod/tools/kpathctl.c), each module unloaded afterwards so that modrace sees
# its unload path. docs/scenarios.md has the table of get sites, locks and verdicts. A subsystem
# whose module this kernel lacks is skipped, saying so ("subsystems: skip: ..."); the test decides
# which skips it accepts.
set -u
M=$1
export PATH="$M:$PATH"
[ -x /sbin/modprobe ] || echo /bin/modprobe > /proc/sys/kernel/modprobe
fail=0
step() { # step WHAT COMMAND...
	what=$1; shift
	if "$@"; then echo "subsystems: ok: $what"; else echo "subsystems: FAILED: $what"; fail=1; fi
}
unload() { # unload MODULE...: rmmod those loaded, in order
	for m in "$@"; do
		grep -q "^$m " /proc/modules || continue
		step "rmmod $m" rmmod "$m"
	done
}
subsystem() { echo "subsystems: == $1"; }

mkdir -p /mnt/a
modprobe loop || { echo "subsystems: modprobe loop failed"; exit 1; }

# 1. Filesystems by mount: get_fs_type -> __get_fs_type, try_module_get under file_systems_lock.
# busybox makes none of these filesystems: the mount looks the type up (the get, autoloading the
# module through request_module) and then fails on the blank image, which is all this path needs.
subsystem filesystems
dd if=/dev/zero of=/tmp/fs.img bs=1024 count=2048 2>/dev/null
for fs in minix qnx4 squashfs; do
	mount -o loop,ro -t "$fs" /tmp/fs.img /mnt/a 2>/dev/null && umount /mnt/a
	if grep -q "	$fs\$" /proc/filesystems; then
		echo "subsystems: ok: $fs looked up"
	else
		echo "subsystems: FAILED: $fs not registered by the mount"; fail=1
	fi
done
unload minix qnx4 squashfs

# 2. NLS through vfat's iocharset=: load_nls -> find_nls, try_module_get under nls_lock.
subsystem nls
dd if=/dev/zero of=/tmp/vfat.img bs=1024 count=4096 2>/dev/null
mkdosfs /tmp/vfat.img > /dev/null
step "mount -t vfat iocharset=iso8859-2,codepage=852" \
	mount -o loop,iocharset=iso8859-2,codepage=852 -t vfat /tmp/vfat.img /mnt/a
echo nls > /mnt/a/f && step "umount vfat" umount /mnt/a
unload vfat fat nls_iso8859_2 nls_cp852

# 3. binfmt_misc: search_binary_handler, try_module_get(fmt->module) under binfmt_lock.
subsystem binfmt_misc
step "modprobe binfmt_misc" modprobe binfmt_misc
mkdir -p /tmp/binfmt
step "mount binfmt_misc" mount -t binfmt_misc none /tmp/binfmt
printf '#!/bin/sh\necho binfmt-ran\n' > /tmp/handler && chmod +x /tmp/handler
echo ':mrtest:E::mrt::/tmp/handler:' > /tmp/binfmt/register
printf 'x\n' > /tmp/prog.mrt && chmod +x /tmp/prog.mrt
step "exec through binfmt_misc" sh -c '/tmp/prog.mrt | grep -q binfmt-ran'
echo -1 > /tmp/binfmt/mrtest
step "umount binfmt_misc" umount /tmp/binfmt
unload binfmt_misc

# 4. TCP congestion control: the sysctl (tcp_set_default_congestion_control, under
# tcp_cong_list_lock) and a socket's TCP_CONGESTION (tcp_set_congestion_control, under rcu).
subsystem tcp_vegas
old=$(cat /proc/sys/net/ipv4/tcp_congestion_control)
step "sysctl tcp_congestion_control=vegas" sh -c 'echo vegas > /proc/sys/net/ipv4/tcp_congestion_control'
step "setsockopt TCP_CONGESTION vegas" kpathctl tcpcc vegas
echo "$old" > /proc/sys/net/ipv4/tcp_congestion_control
unload tcp_vegas

# 5. Misc devices: misc_open, try_module_get (fops_get) under misc_mtx.
subsystem misc
step "modprobe tun uinput" modprobe -a tun uinput
step "open /dev/net/tun" sh -c ': < /dev/net/tun'
step "open /dev/uinput" sh -c ': < /dev/uinput'
unload tun uinput

# 6. A character device: /dev/ppp of ppp_generic, chrdev_open -> cdev_get under chrdevs_lock.
subsystem ppp
step "modprobe ppp_generic" modprobe ppp_generic
[ -e /dev/ppp ] || mknod /dev/ppp c 108 0
step "open /dev/ppp" sh -c ': < /dev/ppp'
unload ppp_generic slhc

# 7. Sound: the control device of snd-dummy, snd_open (sound_mutex) and snd_ctl_open ->
# snd_card_file_add (the card's module, under the card's files_lock).
subsystem sound
if modprobe snd-dummy; then
	ctl=$(ls /dev/snd/controlC* 2>/dev/null | head -1)
	[ -n "$ctl" ] || { mkdir -p /dev/snd; mknod /dev/snd/controlC0 c 116 0; ctl=/dev/snd/controlC0; }
	step "open $ctl" sh -c ": < $ctl"
	unload snd_dummy snd_pcm snd_timer snd soundcore
else
	echo "subsystems: skip: sound (no snd-dummy module)"
fi

# 8. A tty line discipline: TIOCSETD N_HDLC (13) -> tty_ldisc_get -> get_ldops under
# tty_ldiscs_lock; the kernel autoloads n_hdlc (tty-ldisc-13).
subsystem n_hdlc
step "TIOCSETD N_HDLC on a pty" kpathctl ldisc 13
unload n_hdlc

# 9. AF_ALG: alg_bind -> alg_get_type (algif_hash, under alg_types_sem), then the crypto API's
# lookup of the algorithm (md4's module, under crypto_alg_sem).
subsystem af_alg
step "AF_ALG bind hash md4, digest" kpathctl alg hash md4
unload algif_hash af_alg md4

# 10. The default qdisc: net.core.default_qdisc=sfq -> qdisc_set_default, qdisc_lookup_default
# under qdisc_mod_lock; a dummy device brought up gets an sfq root qdisc.
subsystem sch_sfq
old=$(cat /proc/sys/net/core/default_qdisc)
step "sysctl default_qdisc=sfq" sh -c 'echo sfq > /proc/sys/net/core/default_qdisc'
step "ip link add q0 type dummy" ip link add q0 type dummy
ip link set q0 up
ip link del q0
echo "$old" > /proc/sys/net/core/default_qdisc
unload sch_sfq dummy

# 11. An I/O scheduler: the queue/scheduler attribute -> elevator_find_get under elv_list_lock.
subsystem iosched
dev=$(losetup -f) && losetup "$dev" /tmp/fs.img
q=/sys/block/${dev#/dev/}/queue/scheduler
for e in kyber bfq; do
	modprobe "$e-iosched" 2>/dev/null || modprobe "$e" 2>/dev/null
	step "elevator $e on $dev" sh -c "echo $e > $q && grep -q '\[$e\]' $q"
	echo none > "$q"
done
losetup -d "$dev"
unload kyber_iosched bfq

unload loop
[ "$fail" = 0 ] && echo "subsystems: done" || echo "subsystems: some steps failed"
exit "$fail"
