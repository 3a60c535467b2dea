# SPDX-License-Identifier: GPL-2.0-only
# Building and caching the test VM's base image: Debian's current linux-image-amd64 kernel, its
# module tree (with modules.dep), and a busybox-static initramfs that can mount the host's shares.
# Sourced by modrace-vm (its --build-image flag builds only this); everything is cached under $MODRACE_CACHE and rebuilt when
# an input (kernel package version, guest init, this file) changes.

MODRACE_CACHE=${MODRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modrace}
VM_IMAGES_DIR=${VM_IMAGES_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

die() { echo "modrace-vm: $*" >&2; exit "${DIE_STATUS:-2}"; }
log() { [ -n "${QUIET:-}" ] || echo "modrace-vm: $*" >&2; }

# Modules the initramfs itself must carry: the virtio transport and 9p, to reach the shares.
INITRAMFS_MODULES="virtio_pci 9pnet_virtio 9p"

# Kernel flavours: a name -> the Debian meta package whose current dependency is booted.
KERNEL_FLAVORS="debian-6.1 debian-6.12 debian-6.12-rt dev-6.1-lockdep"
flavor_meta_package() {
	case "$1" in
	debian-6.1) echo linux-image-amd64 ;;
	debian-6.12) echo linux-image-6.12-amd64 ;;
	debian-6.12-rt) echo linux-image-6.12-rt-amd64 ;;
	dev-6.1-lockdep) echo linux-source-6.1 ;;
	*) die "unknown --kernel-flavor '$1' (known: $KERNEL_FLAVORS)" ;;
	esac
}

# apt_answer NAME FUNCTION ARGS...: FUNCTION's output, kept in the cache while the package lists
# are unchanged (apt-cache takes about a second per query under a full package list, and every
# boot asks twice: a minute of every CI run). An empty answer is not kept.
apt_answer() {
	local name=$1 stamp f out; shift
	stamp=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || true)
	f="$MODRACE_CACHE/apt/$name"
	if [ -n "$stamp" ] && [ -f "$f" ] && [ "$(head -1 "$f")" = "$stamp" ]; then
		tail -n +2 "$f"
		return
	fi
	out=$("$@")
	if [ -n "$stamp" ] && [ -n "$out" ] && mkdir -p "$MODRACE_CACHE/apt" 2>/dev/null; then
		printf '%s\n%s\n' "$stamp" "$out" > "$f.$$" && mv -f "$f.$$" "$f" || rm -f "$f.$$"
	fi
	echo "$out"
}
meta_dependency() { apt-cache depends "$1" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
candidate_version() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/{print $2}'; }

# The versioned kernel package linux-image-amd64 currently depends on, e.g.
# linux-image-6.1.0-56-amd64 (never hard-coded: the ABI number changes with updates).
resolve_kernel_package() {
	local meta=${1:-linux-image-amd64} pkg
	pkg=$(apt_answer "depends-$meta" meta_dependency "$meta")
	if [ -z "$pkg" ]; then
		# The package lists may be missing on a fresh machine.
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(apt_answer "depends-$meta" meta_dependency "$meta")
	fi
	[ -n "$pkg" ] || die "cannot resolve the kernel package behind $meta (apt-cache depends $meta)"
	echo "$pkg"
}

# The kernel release of a linux-image-<release> package name.
package_release() { echo "${1#linux-image-}"; }

image_inputs_hash() {
	local pkg=$1 version
	version=$(apt_answer "candidate-$pkg" candidate_version "$pkg")
	{
		echo "$pkg $version"
		cat "$VM_IMAGES_DIR/lib/image.sh" "$VM_IMAGES_DIR/guest/init"
	} | sha256sum | cut -c1-16
}

# Files of the dependency closure of module names, relative to the module tree, via modules.dep.
module_closure() {
	local tree=$1; shift
	local -A seen=()
	local queue=() m path deps
	for m in "$@"; do
		path=$(awk -F: -v m="$m" '{n=$1; sub(".*/","",n); sub("\\.ko(\\.[a-z]+)?$","",n); gsub("-","_",n)} n==m{print $1; exit}' "$tree/modules.dep")
		[ -n "$path" ] && queue+=("$path")
	done
	while [ ${#queue[@]} -gt 0 ]; do
		path=${queue[0]}; queue=("${queue[@]:1}")
		[ -n "${seen[$path]:-}" ] && continue
		seen[$path]=1
		echo "$path"
		deps=$(awk -F: -v p="$path" '$1==p{print $2; exit}' "$tree/modules.dep")
		for m in $deps; do queue+=("$m"); done
	done
}

# build_base_initramfs MODULE_TREE RELEASE OUT: busybox + /init + the 9p module closure.
build_base_initramfs() {
	local tree=$1 rel=$2 out=$3 root
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,out,scenario,lib/modules/"$rel"}
	cp /bin/busybox "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$VM_IMAGES_DIR/guest/init" "$root/init"
	chmod 755 "$root/init"
	local f
	for f in $(module_closure "$tree" $INITRAMFS_MODULES); do
		mkdir -p "$root/lib/modules/$rel/$(dirname "$f")"
		cp "$tree/$f" "$root/lib/modules/$rel/$f"
		case "$f" in *.xz) xz -d "$root/lib/modules/$rel/$f" ;; *.zst) zstd -qd --rm "$root/lib/modules/$rel/$f" ;; esac
	done
	cp "$tree"/modules.builtin* "$tree"/modules.order "$root/lib/modules/$rel/" 2>/dev/null || true
	depmod -b "$root" "$rel"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$root"
}

# ensure_default_image [FLAVOR]: prints the directory of the cached image for a flavour's current
# Debian kernel (default debian-6.1), building it when missing or stale. The directory holds vmlinuz, base.cpio.gz, release, and
# root/lib/modules/<release> (the full module tree, exported to the guest read-only).
ensure_default_image() {
	local flavor=${1:-debian-6.1} pkg rel key dir work deb
	case "$flavor" in dev-*) ensure_dev_image "$flavor"; return ;; esac
	pkg=$(resolve_kernel_package "$(flavor_meta_package "$flavor")")
	rel=$(package_release "$pkg")
	key=$(image_inputs_hash "$pkg")
	dir="$MODRACE_CACHE/images/$flavor/$rel-$key"
	if [ -f "$dir/ready" ]; then
		echo "$dir"; return
	fi
	log "building the test image for $pkg (cached in $dir)"
	# Older builds of this image are stale now.
	rm -rf "$MODRACE_CACHE/images/$flavor"/*
	mkdir -p "$dir"
	work=$(mktemp -d)
	(cd "$work" && apt-get download "$pkg" >/dev/null 2>&1) || { rm -rf "$work"; die "apt-get download $pkg failed"; }
	deb=$(ls "$work"/*.deb)
	dpkg -x "$deb" "$dir/root"
	rm -rf "$work"
	cp "$dir/root/boot/vmlinuz-$rel" "$dir/vmlinuz"
	cp "$dir/root/boot/config-$rel" "$dir/config"
	echo "$rel" > "$dir/release"
	# Debian's modules are not compressed on 6.1; 6.12's are .ko.xz, which busybox modprobe cannot
	# load: decompress the tree once.
	find "$dir/root/lib/modules/$rel" -name '*.ko.xz' -exec xz -d {} + 2>/dev/null || true
	find "$dir/root/lib/modules/$rel" -name '*.ko.zst' -exec zstd -qd --rm {} + 2>/dev/null || true
	depmod -b "$dir/root" "$rel"
	build_base_initramfs "$dir/root/lib/modules/$rel" "$rel" "$dir/base.cpio.gz"
	touch "$dir/ready"
	echo "$dir"
}

# ensure_custom_image VMLINUZ MODULES_DIR: a user's kernel. MODULES_DIR is /lib/modules/<release>
# of that kernel (modules.dep is generated into a cached copy when missing).
ensure_custom_image() {
	local kernel=$1 mdir=$2 rel key dir
	[ -f "$kernel" ] || die "--kernel $kernel: no such file"
	[ -d "$mdir" ] || die "--modules-dir $mdir: no such directory"
	rel=$(basename "$(realpath "$mdir")")
	key=$({ realpath "$kernel"; stat -c '%s %Y' "$kernel" "$mdir"; cat "$VM_IMAGES_DIR/lib/image.sh" "$VM_IMAGES_DIR/guest/init"; } | sha256sum | cut -c1-16)
	dir="$MODRACE_CACHE/custom/$rel-$key"
	if [ -f "$dir/ready" ]; then echo "$dir"; return; fi
	log "preparing the image for your kernel $rel (cached in $dir)"
	rm -rf "$dir"; mkdir -p "$dir/root/lib/modules"
	cp "$kernel" "$dir/vmlinuz"
	echo "$rel" > "$dir/release"
	cp -a "$(realpath "$mdir")" "$dir/root/lib/modules/$rel"
	find "$dir/root/lib/modules/$rel" -name '*.ko.xz' -exec xz -d {} + 2>/dev/null || true
	find "$dir/root/lib/modules/$rel" -name '*.ko.zst' -exec zstd -qd --rm {} + 2>/dev/null || true
	depmod -b "$dir/root" "$rel" || die "depmod failed on $mdir"
	build_base_initramfs "$dir/root/lib/modules/$rel" "$rel" "$dir/base.cpio.gz"
	touch "$dir/ready"
	echo "$dir"
}

# The build directory for out-of-tree modules of the default image (Debian's matching headers).
ensure_kdir() {
	local flavor=${1:-debian-6.1} pkg rel kdir
	case "$flavor" in dev-*) dev_kernel_build "$flavor"; return ;; esac
	pkg=$(resolve_kernel_package "$(flavor_meta_package "$flavor")")
	rel=$(package_release "$pkg")
	kdir=/usr/src/linux-headers-$rel
	if [ -f "$kdir/Makefile" ]; then echo "$kdir"; return; fi
	extract_headers "$rel"
}

# extract_headers RELEASE: Debian's headers for RELEASE unpacked into the cache (not installed:
# from 6.12 on, installing linux-headers-<rel> pulls the kernel image itself onto this machine,
# initramfs and all). The headers package, its -common part and linux-kbuild are unpacked into one
# root; their relative symlinks (scripts, tools) resolve inside it, and the one absolute path,
# the -common Makefile's include, is pointed there. Prints the build directory.
extract_headers() {
	local rel=$1 hpkg root work deps p
	hpkg=linux-headers-$rel
	root="$MODRACE_CACHE/headers/$rel"
	if [ -f "$root/ready" ]; then echo "$root/usr/src/$hpkg"; return; fi
	log "unpacking $hpkg into $root"
	deps=$(apt-cache depends "$hpkg" 2>/dev/null | awk '/Depends: linux-(headers-.*-common|kbuild-)/{print $2}')
	[ -n "$deps" ] || die "cannot resolve what $hpkg depends on (apt-cache depends $hpkg)"
	rm -rf "$root"; mkdir -p "$root"
	work=$(mktemp -d)
	for p in "$hpkg" $deps; do
		(cd "$work" && apt-get download "$p" >/dev/null 2>&1) || { rm -rf "$work"; die "apt-get download $p failed"; }
	done
	for p in "$work"/*.deb; do dpkg -x "$p" "$root"; done
	rm -rf "$work"
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$root/usr/src/$hpkg/Makefile"
	[ -f "$root/usr/src/$hpkg/Makefile" ] || die "$hpkg unpacked without a Makefile"
	touch "$root/ready"
	echo "$root/usr/src/$hpkg"
}

# ---- kernels built here from Debian's linux-source-6.1 ----
# The development kernel flavour (dev-6.1-lockdep): a debug kernel as kernel developers run it
# (lockdep, KASAN, DEBUG_ATOMIC_SLEEP), configured by defconfig + kvm_guest.config +
# flavors/dev-lockdep.config; and the tiny kernel of the kernel-tree test tier
# (tests/vm/tiny-kernel). Each build is cached by the hash of its inputs (source package version,
# recipe, config fragments), so it happens once per machine; both boot as kernel trees.
DEV_KERNEL_RECIPE=1 # bump when the build steps below change

# source_kernel_dir NAME FRAGMENT...: where the kernel NAME built from those fragments is cached.
source_kernel_dir() {
	local name=$1 version key
	shift
	version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) \
		|| die "the $name kernel needs linux-source-6.1 (tests/install-deps --dev-kernel)"
	key=$({ echo "$version $DEV_KERNEL_RECIPE"; cat "$@"; } | sha256sum | cut -c1-16)
	echo "$MODRACE_CACHE/dev-kernel/$name-$key"
}

# source_kernel_build NAME "CONFIG TARGETS" FRAGMENT...: builds the kernel tree when missing
# (`make CONFIG TARGETS`, the fragments merged on top, every option they set checked, then
# bzImage and modules); prints the tree.
source_kernel_build() {
	local name=$1 targets=$2 kb start tool
	shift 2
	kb=$(source_kernel_dir "$name" "$@")
	if [ -f "$kb/built" ]; then echo "$kb"; return; fi
	local tarball=/usr/src/linux-source-6.1.tar.xz
	[ -f "$tarball" ] || die "$tarball missing (tests/install-deps --dev-kernel)"
	for tool in flex bison bc pahole; do
		command -v $tool >/dev/null || die "$tool is needed to build the $name kernel (tests/install-deps --dev-kernel)"
	done
	log "building the $name kernel in $kb (cached afterwards)"
	rm -rf "$(dirname "$kb")/$name"-*
	mkdir -p "$kb"
	start=$(date +%s)
	tar -xf "$tarball" -C "$kb" --strip-components=1
	(
		cd "$kb"
		# shellcheck disable=SC2086 # a list of config targets
		make -s $targets
		scripts/kconfig/merge_config.sh -m .config "$@" >/dev/null
		make -s olddefconfig
		missing=$(config_lacks .config "$@")
		[ -z "$missing" ] || { echo "options of $* did not stick:" $missing >&2; exit 1; }
		nice -n 10 make -s -j"$(nproc)" bzImage modules
	) > "$kb/build.log" 2>&1 || { tail -30 "$kb/build.log" >&2; die "building the $name kernel failed (see $kb/build.log)"; }
	echo "$(( $(date +%s) - start ))" > "$kb/build-seconds"
	touch "$kb/built"
	log "built the $name kernel in $(cat "$kb/build-seconds") s"
	echo "$kb"
}

dev_kernel_dir() { source_kernel_dir "$1" "$VM_IMAGES_DIR/flavors/dev-lockdep.config"; }
dev_kernel_build() { source_kernel_build "$1" "defconfig kvm_guest.config" "$VM_IMAGES_DIR/flavors/dev-lockdep.config"; }
ensure_dev_image() {
	local kb
	kb=$(dev_kernel_build "$1") || exit
	kernel_tree_image "$kb"
}

# ---- a kernel source tree (--kernel-tree DIR): the kernel a developer is working on ----
# config_lacks CONFIG FRAGMENT...: the lines `CONFIG_X=y|m` of the fragments whose option CONFIG
# does not set (to y or m), one per line; "is not set" lines of the fragments are not asked for.
config_lacks() {
	local config=$1
	shift
	awk -F= 'FNR == NR { if ($2 == "y" || $2 == "m") have[$1] = 1; next }
		/^CONFIG_[A-Za-z0-9_]+=[ym]$/ && !($1 in have) { print }' "$config" "$@"
}

# kernel_tree_config DIR: the tree's .config, or an error saying the tree is not configured.
kernel_tree_config() {
	[ -f "$1/.config" ] || die "--kernel-tree $1: no .config (configure the kernel first, e.g. make defconfig)"
	echo "$1/.config"
}

# kernel_tree_release DIR: the release of a configured and built tree, or an error naming what
# is missing.
kernel_tree_release() {
	local tree=$1
	[ -d "$tree" ] || die "--kernel-tree $tree: no such directory"
	kernel_tree_config "$tree" > /dev/null
	[ -f "$tree/arch/x86/boot/bzImage" ] \
		|| die "--kernel-tree $tree: no arch/x86/boot/bzImage (build it first: make -j\$(nproc) bzImage modules)"
	[ -s "$tree/include/config/kernel.release" ] || die "--kernel-tree $tree: no include/config/kernel.release (an unbuilt tree?)"
	cat "$tree/include/config/kernel.release"
}

# kernel_tree_image DIR: the test image of the kernel built in DIR. Its modules are installed into
# the cache (make modules_install INSTALL_MOD_PATH=...) when missing or older than the tree's build.
kernel_tree_image() {
	local tree rel missing mods stamp
	tree=$(realpath "$1")
	rel=$(kernel_tree_release "$tree") || exit
	missing=$(config_lacks "$tree/.config" "$VM_IMAGES_DIR/kernel-needs.config") || exit
	[ -z "$missing" ] || die "--kernel-tree $tree lacks what modrace needs:" $missing \
		"(see modrace-vm --kernel-tree $tree --check-config)"
	mods="$MODRACE_CACHE/kernel-tree/$(echo "$tree" | sha256sum | cut -c1-16)"
	stamp="$rel $(stat -c %Y "$tree/arch/x86/boot/bzImage" "$tree/.config" "$tree/modules.order" 2>/dev/null | tr '\n' ' ')"
	if [ "$(cat "$mods/stamp" 2>/dev/null)" != "$stamp" ]; then
		log "installing the modules of $tree into $mods (make modules_install)"
		rm -rf "$mods"; mkdir -p "$mods"
		make -s -C "$tree" modules_install INSTALL_MOD_PATH="$mods/install" INSTALL_MOD_STRIP=1 \
			> "$mods/install.log" 2>&1 || { tail -5 "$mods/install.log" >&2;
			die "--kernel-tree $tree: make modules_install failed (are the modules built? make modules)"; }
		echo "$stamp" > "$mods/stamp"
	fi
	ensure_custom_image "$tree/arch/x86/boot/bzImage" "$mods/install/lib/modules/$rel"
}
