#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `modrace check` on the test kernel: the same static binary loads and attaches on it (it attaches
# for real, then detaches), every required attach point works, and the choices are the ones that
# kernel calls for: lock tracking by lockdep's held_locks on a lockdep kernel (no lock-primitive
# probes), by kprobes on the lock primitives where fentry programs could be preempted (PREEMPT_RT,
# preempt=full), the rt_* lock functions on PREEMPT_RT. Runs on every kernel flavour (the matrix);
# its output is the per-flavour table in docs/kernels.md (tests/vm/kernels-table).
SRC=$1 BUILD=$2
. "$SRC/tests/vm/lib.sh"

cat > "$WORK/scenario.sh" <<'S'
uname -r > "$MODRACE_OUT/uname.txt"
modrace check > "$MODRACE_OUT/check.txt" 2>&1
echo "check-status=$?" >> "$MODRACE_OUT/check.txt"
exit 0
S
OUT="$WORK/out"
run_vm "$OUT" --no-record --timeout 400 --scenario "$WORK/scenario.sh"
expect_status 0 "$vm_status" "modrace-vm (guest ran, no kernel splat)"
c="$OUT/check.txt"
[ -s "$c" ] || { fail "no check output"; finish; }
sed 's/^/  | /' "$c"
has() { grep -Eq "$1" "$c"; }
has '^check-status=0$' && pass "modrace check: exit 0" || fail "modrace check: $(tail -1 "$c")"
has '^recording: possible$' && pass "recording possible" || fail "recording not possible"
for fn in try_module_get module_put __x64_sys_delete_module module_load module_free; do
	has "^ok +[a-z_]+ +$fn " && pass "$fn attached" || fail "$fn not attached"
done
! has '^failed ' && pass "no attach point failed" || fail "failed: $(grep '^failed ' "$c" | head -3)"
for fn in synchronize_srcu synchronize_srcu_expedited; do
	has "^ok +rcu_sync +$fn " && pass "$fn attached (an unload's SRCU wait)" || fail "$fn not attached"
done

case "$FLAVOR" in
dev-*)
	has '^locks: provider lockdep$' && pass "lock provider: lockdep (--locks auto)" \
		|| fail "lock provider: $(grep '^locks:' "$c")"
	has '^ok +lockdep +lock_acquire ' && pass "lockdep's lock_acquire attached (the unload lockset)" \
		|| fail "lock_acquire not attached"
	! has '^ok +locks ' && pass "no lock-primitive probe attached" \
		|| fail "lock-primitive probes attached on a lockdep kernel: $(grep -c '^ok +locks ' "$c")"
	;;
*)
	has '^locks: provider probe$' && pass "lock provider: probe" || fail "lock provider: $(grep '^locks:' "$c")"
	has '^ok +locks +mutex_lock ' && pass "mutex_lock probed" || fail "mutex_lock not probed"
	has '^ok +locks +sched_switch ' && pass "sched_switch attached" || fail "sched_switch not attached"
	has '^ok +locks +__srcu_read_lock ' && pass "__srcu_read_lock probed (SRCU read sides)" \
		|| fail "__srcu_read_lock not probed"
	;;
esac
case "$FLAVOR" in
*-rt)
	for fn in rt_spin_lock rt_spin_unlock rt_write_lock rt_read_lock; do
		has "^ok +locks +$fn +kprobe" && pass "$fn probed by kprobe" || fail "$fn not kprobe-probed"
	done
	has '^preemption: (full|lazy|rt)' && pass "preemption model: $(grep -o '^preemption: [a-z]*' "$c")" \
		|| fail "preemption: $(grep '^preemption' "$c")"
	;;
dev-*|debian-*)
	! has '^ok +locks +rt_spin_lock ' && pass "no rt_* lock functions outside PREEMPT_RT" \
		|| fail "rt_spin_lock attached on a non-RT kernel"
	;;
esac
finish
