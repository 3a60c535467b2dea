# SPDX-License-Identifier: GPL-2.0-only
# Helpers for tests/vm/seed_*.test.sh (not a test itself). Set SRC and BUILD ($1 and $2 of the
# test), then source it: it builds tests/kmod against the VM kernel's headers into the test's
# build directory (the source tree is only read) and runs seed scenarios through modrace-vm.
. "$SRC/tests/vm/lib.sh"
# One build per kernel flavour, shared by the tests that run side by side (ctest -j): the first
# builds it (15 s under a busy CI machine), the others wait on its lock and find it up to date.
KMOD="$BUILD/vm-tests/kmod/$FLAVOR"
CHECK="$SRC/tests/vm/seed_check_report.py"

# seed_build: seed_core.ko, seed_drv.ko and seedctl into $KMOD, or fail the test right away.
seed_build() {
	local kdir
	kdir=$("$VM" "${VM_KERNEL[@]}" --print-kdir) || { fail "modrace-vm --print-kdir failed"; finish; }
	mkdir -p "$(dirname "$KMOD")"
	if flock "$KMOD.lock" make -C "$SRC/tests/kmod" KDIR="$kdir" OUT="$KMOD" \
		> "$WORK/kmod-build.log" 2>&1; then
		pass "tests/kmod built against $kdir"
	else
		fail "tests/kmod build failed: $(tail -5 "$WORK/kmod-build.log")"
		finish
	fi
}

# scenario_run SCENARIO TIMEOUT [MODRACE-VM ARGS...]: runs tests/vm/scenarios/SCENARIO.sh under
# modrace record (the --module/--file ARGS in its $1), within TIMEOUT seconds (scaled for the
# flavour). Sets OUT (the output directory), vm_status and RUN_SECONDS.
scenario_run() {
	local scenario=$1 timeout start
	timeout=$(scaled "$2")
	shift 2
	OUT="$WORK/$scenario"
	start=$(date +%s)
	run_vm "$OUT" --scenario "$SRC/tests/vm/scenarios/$scenario.sh" --timeout "$timeout" "$@"
	RUN_SECONDS=$(($(date +%s) - start))
	echo "note: $scenario: modrace-vm exit $vm_status after ${RUN_SECONDS}s, output in $OUT"
}

# seed_run SCENARIO [TIMEOUT [MODRACE-VM ARGS...]]: scenario_run with the seed modules, seedctl
# and seed-lib.sh.
seed_run() {
	scenario_run "$1" "${2:-180}" --module "$KMOD/seed_core.ko" --module "$KMOD/seed_drv.ko" \
		--file "$KMOD/seedctl" --file "$SRC/tests/vm/scenarios/seed-lib.sh" "${@:3}"
}

# seed_expect_status WANT: modrace-vm's exit status (0 clean, 1 findings; 10 splat, 11 guest
# died, 12 timeout, 13 scenario failed, 14 record failed). Shows why when it differs.
seed_expect_status() {
	expect_status "$1" "$vm_status" "modrace-vm on $(basename "$OUT")"
	if [ "$1" != "$vm_status" ]; then
		tail -15 "$OUT/scenario.log" 2>/dev/null | sed 's/^/  scenario: /' || true
		tail -5 "$OUT.stderr" 2>/dev/null | sed 's/^/  modrace-vm: /' || true
	fi
}

# seed_no_splats: no kernel splat in the guest (none of the seed scenarios expects one). The
# runner's exit status 10 already says so; this also names the splat. splats.txt is the runner's
# scan of console.log with its one list of splat patterns (vm-images/modrace-vm).
seed_no_splats() {
	[ -f "$OUT/console.log" ] || { fail "no console.log from the guest"; return; }
	if [ -s "$OUT/splats.txt" ]; then
		fail "guest splat: $(head -3 "$OUT/splats.txt")"
	else
		pass "no kernel splat in the guest"
	fi
}

# seed_log_has TEXT: the scenario printed TEXT (its own in-guest checks passed).
seed_log_has() {
	if grep -qF -- "$1" "$OUT/scenario.log" 2>/dev/null; then pass "scenario says: $1"; else fail "scenario.log lacks: $1"; fi
}

# checker_lines FILE: a checker's "ok: ..." / "FAIL: ..." lines as this test's checks.
checker_lines() {
	local line
	while IFS= read -r line; do
		case "$line" in
		FAIL:*) fail "${line#FAIL: }" ;;
		ok:*) pass "${line#ok: }" ;;
		*) echo "$line" ;;
		esac
	done < "$1"
}

# seed_report ARGS...: seed_check_report.py on $OUT/report.json (see its usage), and the
# recorder's invariants on $OUT/trace.
seed_report() {
	local line st=0 inv=0
	if [ ! -s "$OUT/report.json" ]; then
		fail "no report.json in $OUT"
		return
	fi
	python3 "$CHECK" "$OUT/report.json" "$@" > "$OUT/check.log" 2>&1 || st=$?
	checker_lines "$OUT/check.log"
	[ "$st" = 0 ] || [ "$st" = 1 ] || fail "seed_check_report.py crashed (exit $st)"
	# What every trace must satisfy, whatever the scenario (tests/vm/recorder_invariants.py).
	if [ -s "$OUT/trace" ]; then
		"$MODRACE_BIN" dump --json "$OUT/trace" 2>/dev/null | python3 "$SRC/tests/vm/recorder_invariants.py" \
			> "$OUT/invariants.log" 2>&1 || inv=$?
		checker_lines "$OUT/invariants.log"
		[ "$inv" = 0 ] || [ "$inv" = 1 ] || fail "recorder_invariants.py crashed (exit $inv)"
		[ "$inv" = 0 ] || st=1
	fi
	# A wrong verdict: what CI keeps of the run is this log, so show the trace's unload skeleton
	# (how it was recorded, and each unload's locks and waits) to diagnose it from there.
	if [ "$st" = 1 ] && [ -s "$OUT/trace" ]; then
		echo "  trace: $("$MODRACE_BIN" info "$OUT/trace" 2>&1 | grep -E '^(features|drops):' | tr '\n' ' ' | cut -c1-2000)"
		"$MODRACE_BIN" dump "$OUT/trace" 2>&1 \
			| grep -E ' (delete_module|unload_rcu_sync|module_load|module_free|module_state|unload_lock: lock=[^0])' \
			| head -150 | sed 's/^ */  trace: /' || true
	fi
	# The runner's KTAP report of its trace (tests/ktap/ktap.py: a parser written from the
	# specification); a run without a trace (modrace live in the guest) has none.
	[ -s "$OUT/trace" ] || return 0
	if line=$(python3 "$SRC/tests/ktap/ktap.py" "$OUT/report.ktap" 2>&1); then
		pass "report.ktap is KTAP: $line"
	else
		fail "report.ktap: $(tail -1 <<< "$line")"
	fi
}
