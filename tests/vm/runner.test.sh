#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The VM runner's own contract: files copied in, scenario status, timeout, splat and panic
# detection, --print-kdir building a real out-of-tree module, bad options.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/lib.sh"

# An out-of-tree module built against --print-kdir: the kernel developer's path.
kdir=$("$VM" --print-kdir)
cp -r "$SRC/tests/vm/runner_kmod" "$WORK/kmod"
if make -s -C "$kdir" M="$WORK/kmod" modules > "$WORK/kmod.log" 2>&1; then
	pass "make -C \$(modrace-vm --print-kdir) M=... modules"
else
	fail "out-of-tree module build failed: $(tail -5 "$WORK/kmod.log")"
fi
ko="$WORK/kmod/modrace_vm_selftest.ko"

# 1. A clean scenario: files arrive in $1, stock modules load, the module is loadable, exit 0.
cat > "$WORK/clean.sh" <<'S'
set -e
echo "release=$(uname -r)"
ls "$1"
modprobe loop
grep -q '^loop ' /proc/modules && echo "loop-loaded"
insmod "$1/modrace_vm_selftest.ko" && rmmod modrace_vm_selftest && echo "selftest-unloaded"
test -d "$MODRACE_OUT" && echo "out=$MODRACE_OUT"
echo payload-ok > "$MODRACE_OUT/from-guest"
S
echo data > "$WORK/extra.txt"
# The boot is timed, not the image build: a cold cache downloads and unpacks the kernel first.
"$VM" --kernel-flavor "$FLAVOR" --build-image > "$WORK/build-image.log" 2>&1 \
	|| fail "modrace-vm --build-image failed: $(tail -3 "$WORK/build-image.log")"
start=$(date +%s)
run_vm "$WORK/clean" --no-record --scenario "$WORK/clean.sh" --module "$ko" --file "$WORK/extra.txt"
elapsed=$(( $(date +%s) - start ))
expect_status 0 "$vm_status" "clean scenario"
for want in modrace_vm_selftest.ko extra.txt loop-loaded selftest-unloaded "out=/out"; do
	grep -q -- "$want" "$WORK/clean/scenario.log" && pass "scenario saw $want" || fail "scenario.log lacks $want"
done
grep -q payload-ok "$WORK/clean/from-guest" 2>/dev/null && pass "guest wrote to --out" || fail "no file from the guest"
grep -q "Linux version" "$WORK/clean/console.log" && pass "console.log has the boot log" || fail "console.log lacks the boot log"
if grep -q "Linux version" "$WORK/clean/dmesg.txt" 2>/dev/null; then pass "dmesg.txt kept"; else fail "dmesg.txt missing"; fi
[ "$elapsed" -lt 60 ] && pass "one boot took ${elapsed}s (< 60 s)" || fail "one boot took ${elapsed}s (>= 60 s)"

# 2. A failing scenario is its own status.
printf 'echo failing; exit 3\n' > "$WORK/failing.sh"
run_vm "$WORK/failing" --no-record --scenario "$WORK/failing.sh"
expect_status 13 "$vm_status" "scenario exiting 3"

# 3. A hanging scenario is killed at --timeout and says so.
printf 'echo hanging; sleep 1000\n' > "$WORK/hang.sh"
start=$(date +%s)
run_vm "$WORK/hang" --no-record --timeout 5 --scenario "$WORK/hang.sh"
elapsed=$(( $(date +%s) - start ))
expect_status 12 "$vm_status" "scenario hanging past --timeout 5"
[ "$elapsed" -lt 60 ] && pass "timeout honoured (${elapsed}s)" || fail "timeout took ${elapsed}s"

# 4. A kernel WARNING fails the run, unless allowed.
printf 'insmod "$1/modrace_vm_selftest.ko" warn=1\n' > "$WORK/warn.sh"
run_vm "$WORK/warn" --no-record --scenario "$WORK/warn.sh" --module "$ko"
expect_status 10 "$vm_status" "guest WARNING"
grep -q "deliberate warning" "$WORK/warn/console.log" && pass "the WARNING is in console.log" || fail "WARNING not in console.log"
[ -s "$WORK/warn/splats.txt" ] && pass "splats.txt written" || fail "splats.txt missing"
run_vm "$WORK/warn-allowed" --no-record --allow-splats --scenario "$WORK/warn.sh" --module "$ko"
expect_status 0 "$vm_status" "guest WARNING with --allow-splats"

# 5. A panic is the guest dying.
printf 'echo c > /proc/sysrq-trigger\nsleep 30\n' > "$WORK/panic.sh"
run_vm "$WORK/panic" --no-record --scenario "$WORK/panic.sh"
expect_status 11 "$vm_status" "guest panic"

# 6. A recorder that cannot start is its own status, and the scenario does not run without it.
printf 'echo should-not-run\n' > "$WORK/norecord.sh"
run_vm "$WORK/record-fails" --record-args "--locks bogus" --scenario "$WORK/norecord.sh"
expect_status 14 "$vm_status" "modrace record failing in the guest"
grep -q should-not-run "$WORK/record-fails/scenario.log" && fail "the scenario ran without its recorder" \
	|| pass "no scenario without its recorder"

# 7. Usage errors: one line, exit 2.
st=0; "$VM" --scenario "$WORK/clean.sh" 2> "$WORK/usage.err" || st=$?
expect_status 2 "$st" "missing --out"
grep -q '^modrace-vm: --out DIR is required$' "$WORK/usage.err" && pass "usage error names --out" || fail "usage message: $(cat "$WORK/usage.err")"
st=0; "$VM" --bogus 2> "$WORK/usage2.err" || st=$?
expect_status 2 "$st" "unknown option"
finish
