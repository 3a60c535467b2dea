#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# preempt-only-get in a real guest (tests/vm/scenarios/spin-reg.sh, modules tests/kmod/spin_reg.c
# and spin_client.c): a lookup and get under a spinlock that the client's unload never takes,
# over an object the client kmallocs in init and kfree()s in exit, is a preempt-only-get warning
# (never protected(rcu), never unprotected-get) on every flavour, PREEMPT_RT included, where
# spin_lock's cover is an implicit RCU read side instead of disabled preemption; so is the same
# lookup under preempt_disable() with no lock at all (same weakness, same rule). The positive
# control in the same run, the same lookup inside an explicit rcu_read_lock() with a
# synchronize_rcu() in the unregister, stays protected by rcu.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
scenario_run spin-reg 180 --module "$KMOD/spin_reg.ko" --module "$KMOD/spin_client.ko"
# A warning is not at `report`'s default --fail-on level (error): exit 0.
seed_expect_status 0
seed_no_splats
seed_log_has "spin-reg: done"
seed_report --complete \
	--expect preempt-only-get:spin_client:spin_reg_get_spin@spin_reg:spin_reg_lock \
	--expect preempt-only-get:spin_client:spin_reg_get_preempt@spin_reg \
	--site spin_reg_get_spin@spin_reg:finding \
	--site spin_reg_get_preempt@spin_reg:finding \
	--site spin_reg_get_rcu@spin_reg:protected:rcu
# The warning says which lock was held, which locks the unload path takes, and what the cover
# keeps (module memory) and what it does not (the objects the exit frees).
if [ -s "$OUT/report.json" ] && python3 - "$OUT/report.json" > "$OUT/message-check.log" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
fs = {f["function"]: f for f in r["findings"] if f["rule"] == "preempt-only-get"}
assert sorted(fs) == ["spin_reg_get_preempt", "spin_reg_get_spin"], sorted(fs)
wants = {"spin_reg_get_spin": ["holding only spin_reg_lock"],
         "spin_reg_get_preempt": ["holding no lock", "preemption disabled (preempt_disable()"]}
for fn, f in fs.items():
    assert f["severity"] == "warning", f["severity"]
    assert any(l["name"] == "spin_reg_mutex" for l in f["unload_locks"]), "no spin_reg_mutex"
    for want in wants[fn] + ["spin_reg_mutex", "module memory",
                             "does not keep alive the objects spin_client's exit frees"]:
        assert want in f["message"], f"{fn}: message lacks {want!r}: {f['message']}"
    print(f["message"])
assert not [f for f in r["findings"] if f["rule"] == "unprotected-get"], "an unprotected-get"
PY
then
	pass "the warnings name the lock held (spin_reg_lock / none), spin_reg_mutex, module memory kept, objects not"
else
	fail "preempt-only-get message check: $(tail -3 "$OUT/message-check.log" 2>/dev/null)"
fi
finish
