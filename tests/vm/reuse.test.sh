#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Names across a reload at a reused address (issue 14): reuse_a and its client are loaded, used
# and unloaded, then reuse_b (another module, other functions and objects) is loaded at the same
# text address and used the same way (tests/vm/scenarios/reuse.sh checks the address). Each
# registry has one unlocked get (unprotected-get) and one under the lock its client's unload
# takes (protected). Every site, fix and lock must be named from the module live when the get
# happened: post-mortem (`report` on the recorded trace) and live (`modrace live` in a second boot).
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
MODS=(--module "$KMOD/reuse_a.ko" --module "$KMOD/reuse_b.ko" --module "$KMOD/reuse_client_a.ko"
	--module "$KMOD/reuse_client_b.ko")
EXPECT=(--complete
	--expect unprotected-get:reuse_client_a:reuse_a_pin_unlocked@reuse_a
	--expect unprotected-get:reuse_client_b:reuse_b_take_unlocked@reuse_b
	--site reuse_a_pin_locked@reuse_a:protected:reuse_a_lock
	--site reuse_b_take_shared@reuse_b:protected:reuse_b_sem
	--site reuse_a_pin_unlocked@reuse_a:finding
	--site reuse_b_take_unlocked@reuse_b:finding)

# names_check REPORT.json WHAT: each client's sites and findings lie in its own registry's code,
# fixes name that registry's lock, and no load lacks symbols.
names_check() {
	if python3 - "$1" > "$1.names.log" 2>&1 <<'PY'; then
import json, sys
r = json.load(open(sys.argv[1]))
own = {"reuse_client_a": ("reuse_a_", "[reuse_a]", "reuse_a_lock", "reuse_b"),
       "reuse_client_b": ("reuse_b_", "[reuse_b]", "reuse_b_sem", "reuse_a")}
n = 0
for s in r["sites"] + r["findings"]:
    if s["module"] not in own:
        continue
    prefix, mod, lock, other = own[s["module"]]
    assert s["site"].startswith(prefix) and s["site"].endswith(mod), f"{s['module']}: site {s['site']}"
    n += 1
for f in r["findings"]:
    if f["module"] in own:
        prefix, mod, lock, other = own[f["module"]]
        assert f"take {lock} around" in f["fix"], f"{f['module']}: fix {f['fix']}"
        assert other not in f["fix"] + f["message"], f"{f['module']}: names {other}: {f['fix']}"
        for fr in f["stack"]:
            assert other not in fr["text"], f"{f['module']}: frame {fr['text']}"
assert n >= 6, f"only {n} sites and findings of the clients"
assert not r["missing_symbols"], r["missing_symbols"]
print(f"{n} sites and findings named from their own load")
PY
		pass "$2: every client site, fix and frame named from its own registry's load"
	else
		fail "$2: $(tail -2 "$1.names.log")"
	fi
}

# Post-mortem: the runner records the scenario, then `modrace report` reads the trace.
OUT="$WORK/reuse"
run_vm "$OUT" --scenario "$SRC/tests/vm/scenarios/reuse.sh" --timeout "$(scaled 180)" "${MODS[@]}"
seed_expect_status 1
seed_no_splats
seed_log_has "reuse: done"
grep -h "both at" "$OUT/scenario.log" || true
seed_report "${EXPECT[@]}"
names_check "$OUT/report.json" "post-mortem"

# Live: the same scenario under `modrace live --format json`.
cat > "$WORK/reuse-live.sh" <<'S'
set -u
modrace live --format json --ready-file /tmp/live-ready -- \
	sh -c "sh '$1/reuse.sh' '$1' > '$MODRACE_OUT/live-scenario.log' 2>&1" \
	> "$MODRACE_OUT/live.json" 2> "$MODRACE_OUT/live.err"
echo "live-status=$?"
S
LIVE="$WORK/reuse-live"
run_vm "$LIVE" --no-record --scenario "$WORK/reuse-live.sh" --timeout "$(scaled 180)" "${MODS[@]}" \
	--file "$SRC/tests/vm/scenarios/reuse.sh"
expect_status 0 "$vm_status" "modrace-vm running modrace live"
OUT=$LIVE seed_no_splats
grep -q "reuse: done" "$LIVE/live-scenario.log" 2>/dev/null && pass "live: the scenario ran" \
	|| fail "live: scenario did not finish: $(tail -3 "$LIVE/live-scenario.log" "$LIVE/live.err" 2>/dev/null)"
grep -q "live-status=1" "$LIVE/scenario.log" && pass "live: exit 1 (findings)" \
	|| fail "live status: $(grep live-status "$LIVE/scenario.log")"
cp "$LIVE/live.json" "$LIVE/report.json" 2>/dev/null || true
OUT=$LIVE seed_report "${EXPECT[@]}"
names_check "$LIVE/report.json" "live"
finish
