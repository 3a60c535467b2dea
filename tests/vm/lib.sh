# SPDX-License-Identifier: GPL-2.0-only
# Helpers for tests/vm/*.test.sh. Source it after setting SRC and BUILD ($1 and $2 of the test).
set -euo pipefail
VM="$SRC/vm-images/modrace-vm"
export MODRACE_BIN=${MODRACE_BIN:-$BUILD/modrace}
TEST_NAME=$(basename "$0" .test.sh)
# The kernel flavour the test boots (vm-images/modrace-vm --kernel-flavor); the matrix tests set it.
FLAVOR=${MODRACE_TEST_FLAVOR:-debian-6.1}
# The development kernel is built once per machine (30-45 min cold on 2 cores): its tests wait for that build.
case "$FLAVOR" in dev-*)
	if ! (. "$SRC/vm-images/lib/image.sh" && [ -f "$(dev_kernel_dir "$FLAVOR" 2>/dev/null)/built" ]); then
		echo "SKIP: the $FLAVOR kernel is not built on this machine; build it once (30-45 min on 2 cores):"
		echo "  tests/install-deps --dev-kernel && vm-images/modrace-vm --kernel-flavor $FLAVOR --build-image"
		exit 77
	fi ;;
esac
# How much slower a guest of this flavour runs everything: the development kernel (lockdep and
# KASAN, under emulation) takes ~20-30 s per module load/unload cycle, Debian's under 1 s. Time bounds
# given to scenarios are multiplied by it (scaled SECONDS).
SLOW=1
case "$FLAVOR" in dev-*) SLOW=3 ;; esac
scaled() { echo $(($1 * SLOW)); }
if [ "$FLAVOR" = debian-6.1 ]; then WORK="$BUILD/vm-tests/$TEST_NAME"; else WORK="$BUILD/vm-tests/$FLAVOR/$TEST_NAME"; fi
rm -rf "$WORK"; mkdir -p "$WORK"
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
# expect_status WANT GOT WHAT
expect_status() {
	if [ "$1" = "$2" ]; then pass "$3 (exit $2)"; else fail "$3: exit $2, expected $1"; fi
}
# The kernel modrace-vm boots: the flavour's, or a test's own (e.g. --kernel-tree DIR).
VM_KERNEL=(--kernel-flavor "$FLAVOR")
# run_vm OUTDIR ARGS...: runs modrace-vm, stores its exit status in $vm_status.
run_vm() {
	local out=$1; shift
	vm_status=0
	"$VM" --quiet "${VM_KERNEL[@]}" --out "$out" "$@" > "$out.stdout" 2> "$out.stderr" || vm_status=$?
}
finish() {
	if [ "$failures" -gt 0 ]; then echo "$TEST_NAME: $failures check(s) failed"; exit 1; fi
	echo "$TEST_NAME: all checks passed"
}
