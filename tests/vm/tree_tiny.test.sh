#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A kernel developer's own kernel tree, booted with modrace-vm --kernel-tree: the tiny kernel
# (tests/vm/tiny-kernel: tinyconfig + vm-images/kernel-needs.config, built once per machine like
# the development kernel, label vm-dev). --check-config finds nothing lacking, --print-kdir is the
# tree, the seed modules build against it, the tree's modules are installed into the cache, and
# the seed race is caught on it (kprobes only: the tree has no function tracer). A rebuilt tree
# (newer bzImage) has its modules installed again.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
TREE=$("$SRC/tests/vm/tiny-kernel/build" --dir 2>/dev/null) || TREE=""
if [ -z "$TREE" ] || [ ! -f "$TREE/built" ]; then
	echo "SKIP: the tiny kernel tree is not built on this machine; build it once (minutes on 2 cores):"
	echo "  tests/install-deps --dev-kernel && tests/vm/tiny-kernel/build"
	exit 77
fi
echo "note: the tiny tree built in $(cat "$TREE/build-seconds") s; bzImage $(stat -c %s "$TREE/arch/x86/boot/bzImage") bytes"

status=0
"$VM" --kernel-tree "$TREE" --check-config > "$WORK/check.out" 2>&1 || status=$?
expect_status 0 "$status" "--check-config on the tiny tree"
[ "$("$VM" --kernel-tree "$TREE" --print-kdir)" = "$TREE" ] && pass "--print-kdir prints the tree" \
	|| fail "--print-kdir printed something else"

# The seed modules, built against the tree (seed_build asks modrace-vm --print-kdir).
VM_KERNEL=(--kernel-tree "$TREE")
KMOD="$BUILD/vm-tests/kmod/tiny-tree"
seed_build

# A changed tree (here: a newer bzImage) gets its modules installed again before it boots.
touch "$TREE/arch/x86/boot/bzImage"
"$VM" --kernel-tree "$TREE" --build-image > "$WORK/image.out" 2> "$WORK/image.err" \
	|| fail "--build-image: $(tail -3 "$WORK/image.err")"
grep -q "installing the modules of $TREE" "$WORK/image.err" && pass "a newer bzImage: modules installed again" \
	|| fail "no modules_install after the tree changed: $(cat "$WORK/image.err")"
rel=$(cat "$TREE/include/config/kernel.release")
image=$(tail -1 "$WORK/image.out")
[ -f "$image/root/lib/modules/$rel/modules.dep" ] && pass "image has the tree's module tree ($rel)" \
	|| fail "no modules.dep of $rel in $image"
"$VM" --kernel-tree "$TREE" --build-image > /dev/null 2> "$WORK/image2.err" || true
grep -q "installing the modules" "$WORK/image2.err" && fail "modules installed again with nothing changed" \
	|| pass "an unchanged tree is not installed again"

seed_run seed-unprotected
seed_expect_status 1
seed_no_splats
seed_log_has "seed-unprotected: done"
grep -q "Linux version $rel" "$OUT/console.log" && pass "booted the tree's kernel ($rel)" \
	|| fail "console.log does not show $rel booting"
# No function tracer in this tree: every probe is a kprobe or a tracepoint, none fentry (modrace
# tried fentry there and failed to attach with EBUSY before tracefs was read as "no fentry").
features=$("$MODRACE_BIN" info "$OUT/trace" 2>/dev/null | sed -n 's/^features: *//p')
grep -q "try_module_get=kprobe" <<< "$features" && ! grep -q "=fentry" <<< "$features" \
	&& pass "attached by kprobe alone (no function tracer)" || fail "attach methods: $features"
seed_report --complete \
	--expect unprotected-get:seed_drv:seed_get_driver_unlocked@seed_core \
	--site "seed_get_driver_unlocked@seed_core:!protected"
finish
