#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# modrace-vm --kernel-tree's contract before anything boots: --check-config lists exactly the
# options of vm-images/kernel-needs.config a tree's .config lacks (=y and =m both count), one per
# line, exit 1 (0 when none); --print-kdir prints the tree; a tree that is not built, or that
# lacks an option, is refused with one line before any boot. Debian's own kernel config (from
# the headers --print-kdir unpacks) has every option. Boots nothing: seconds.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/lib.sh"
NEEDS="$SRC/vm-images/kernel-needs.config"
mapfile -t needed < <(grep -E '^CONFIG_[A-Za-z0-9_]+=[ym]$' "$NEEDS")
[ "${#needed[@]}" -ge 10 ] && pass "kernel-needs.config lists ${#needed[@]} options" \
	|| fail "kernel-needs.config lists only ${#needed[@]} options"

# vm ARGS...: modrace-vm's stdout, stderr and exit status in $WORK/vm.{out,err} and $status.
vm() { status=0; "$VM" "$@" > "$WORK/vm.out" 2> "$WORK/vm.err" || status=$?; }

# A tree whose .config has them all, three of them in other spellings: built in, a module, and
# (for a bool) nothing else.
tree="$WORK/tree"
mkdir -p "$tree"
{
	echo "# a user's config"
	printf '%s\n' "${needed[@]}" | sed 's/^CONFIG_9P_FS=y$/CONFIG_9P_FS=m/'
	echo "CONFIG_UNRELATED=y"
} > "$tree/.config"
vm --kernel-tree "$tree" --check-config
expect_status 0 "$status" "--check-config on a complete .config"
[ ! -s "$WORK/vm.out" ] && pass "nothing listed" || fail "listed: $(head -3 "$WORK/vm.out")"

# Three options taken away, each as a user's config would lack it.
drop=(CONFIG_KPROBES CONFIG_DEBUG_INFO_BTF CONFIG_9P_FS)
sed -e 's/^CONFIG_KPROBES=y$/# CONFIG_KPROBES is not set/' -e '/^CONFIG_DEBUG_INFO_BTF=/d' \
	-e 's/^CONFIG_9P_FS=m$/CONFIG_9P_FS=n/' "$tree/.config" > "$tree/.config.new"
mv "$tree/.config.new" "$tree/.config"
vm --kernel-tree "$tree" --check-config
expect_status 1 "$status" "--check-config on a .config lacking ${drop[*]}"
want=$(grep -E "^($(IFS='|'; echo "${drop[*]}"))=" "$NEEDS")
if [ "$(cat "$WORK/vm.out")" = "$want" ]; then
	pass "exactly the three lacking options listed, as fragment lines"
else
	fail "listed '$(tr '\n' ' ' < "$WORK/vm.out")', expected '$(echo $want)'"
fi
grep -q "lacks 3 option" "$WORK/vm.err" && pass "stderr counts them" || fail "stderr: $(cat "$WORK/vm.err")"

# Booting that tree is refused before anything boots, naming what is missing (no bzImage yet).
printf 'true\n' > "$WORK/s.sh"
vm --kernel-tree "$tree" --scenario "$WORK/s.sh" --out "$WORK/out"
expect_status 2 "$status" "--kernel-tree on an unbuilt tree"
grep -q "no arch/x86/boot/bzImage" "$WORK/vm.err" && [ "$(wc -l < "$WORK/vm.err")" = 1 ] \
	&& pass "one line naming the missing bzImage" || fail "stderr: $(cat "$WORK/vm.err")"
mkdir -p "$tree/arch/x86/boot" "$tree/include/config"
echo fake > "$tree/arch/x86/boot/bzImage"
echo 6.1.0-fake > "$tree/include/config/kernel.release"
vm --kernel-tree "$tree" --scenario "$WORK/s.sh" --out "$WORK/out"
expect_status 2 "$status" "--kernel-tree on a built tree lacking options"
grep -q "lacks what modrace needs: CONFIG_KPROBES=y CONFIG_DEBUG_INFO_BTF=y CONFIG_9P_FS=y" "$WORK/vm.err" \
	&& pass "refused naming the lacking options" || fail "stderr: $(cat "$WORK/vm.err")"
[ ! -e "$WORK/out/console.log" ] && pass "nothing booted" || fail "a guest booted"

# --print-kdir prints the tree itself (make -C "$(modrace-vm --kernel-tree DIR --print-kdir)" M=...).
cd "$WORK"
vm --kernel-tree tree --print-kdir
cd - > /dev/null
[ "$status" = 0 ] && [ "$(cat "$WORK/vm.out")" = "$(realpath "$tree")" ] \
	&& pass "--print-kdir prints the tree" || fail "--print-kdir: exit $status, '$(cat "$WORK/vm.out")'"

# Misuse: one line, exit 2.
vm --check-config
expect_status 2 "$status" "--check-config without --kernel-tree"
vm --kernel-tree "$tree" --kernel-flavor debian-6.12 --print-kdir
expect_status 2 "$status" "--kernel-tree with --kernel-flavor"
vm --kernel-tree "$WORK/nowhere" --check-config
expect_status 2 "$status" "--kernel-tree on a missing directory"
grep -q "no such directory" "$WORK/vm.err" && pass "says no such directory" || fail "stderr: $(cat "$WORK/vm.err")"

# Debian's own kernel, as its headers' .config has it, has every option modrace needs.
kdir=$("$VM" --print-kdir) || fail "modrace-vm --print-kdir failed"
vm --kernel-tree "$kdir" --check-config
expect_status 0 "$status" "--check-config on Debian's $(basename "$kdir") config"
finish
