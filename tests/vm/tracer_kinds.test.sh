#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The tracer on a real kernel: stock Debian modules (loop through its misc device and a block
# device, vfat/fat through a mount, serio_raw for driver_register, dummy through ip link) loaded,
# used and unloaded under `modrace record` at default settings; every event kind must appear
# with the right module names, results, refcounts and held locks, with zero drops, and the guest
# kernel must not splat. Assertions read `modrace dump --json`.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/lib.sh"

cat > "$WORK/scenario.sh" <<'S'
grep -w -e file_systems_lock -e misc_mtx -e module_mutex /proc/kallsyms > "$MODRACE_OUT/locks.txt"
modrace check > "$MODRACE_OUT/check.txt" 2>&1
echo "check-status=$?" >> "$MODRACE_OUT/check.txt"
cat > /tmp/workload.sh <<'W'
set -x
modprobe loop
losetup -f                      # opens /dev/loop-control: misc_open holds misc_mtx
dd if=/dev/zero of=/tmp/img bs=1M count=8 2>/dev/null
mkfs.vfat /tmp/img
modprobe vfat
losetup /dev/loop0 /tmp/img
mkdir -p /mnt/v
mount -t vfat /dev/loop0 /mnt/v && echo hello > /mnt/v/f && cat /mnt/v/f && umount /mnt/v
losetup -d /dev/loop0
modprobe serio_raw && rmmod serio_raw
modprobe dummy && ip link add mr0 type dummy && ip link del mr0
rmmod dummy
rmmod vfat
rmmod fat
rmmod loop
rmmod loop                      # fails: delete_module's exit carries the error
exit 0
W
modrace record -v -o "$MODRACE_OUT/trace" --ready-file /tmp/ready -- sh /tmp/workload.sh \
	> "$MODRACE_OUT/record.txt" 2>&1
echo "record-status=$?" >> "$MODRACE_OUT/record.txt"
test -f /tmp/ready && echo "ready-file-created" >> "$MODRACE_OUT/record.txt"
exit 0
S

OUT="$WORK/out"
run_vm "$OUT" --no-record --scenario "$WORK/scenario.sh" --timeout 240
expect_status 0 "$vm_status" "modrace-vm (no splat, scenario ok)"
grep -q "check-status=0" "$OUT/check.txt" 2>/dev/null && pass "modrace check: exit 0" \
	|| fail "modrace check failed: $(tail -3 "$OUT/check.txt" 2>/dev/null)"
grep -q "record-status=0" "$OUT/record.txt" 2>/dev/null && pass "modrace record: exit 0" \
	|| fail "modrace record failed: $(grep -v '^libbpf' "$OUT/record.txt" 2>/dev/null | tail -5)"
grep -q "ready-file-created" "$OUT/record.txt" && pass "--ready-file created" || fail "no --ready-file"
grep -q "^modrace: recording" "$OUT/record.txt" && pass "'modrace: recording' printed" \
	|| fail "no 'modrace: recording' line"
sed -n 's/^\(modrace: [0-9]* events.*\)/note: \1/p' "$OUT/record.txt"
grep '^calibration' "$OUT/check.txt" | sed 's/^/note: /'

if ! "$MODRACE_BIN" dump --json "$OUT/trace" > "$WORK/events.json" 2> "$WORK/dump.err"; then
	fail "modrace dump --json: $(head -3 "$WORK/dump.err")"
	finish
fi
"$MODRACE_BIN" info "$OUT/trace" > "$WORK/info.txt" 2>&1 || fail "modrace info failed"

python3 - "$WORK/events.json" "$WORK/info.txt" "$OUT/locks.txt" <<'PY' || failures=$((failures + 1))
import json, re, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
info = open(sys.argv[2]).read()
bad = 0
def check(cond, what):
    global bad
    print(("ok: " if cond else "FAIL: ") + what)
    bad += not cond
def of(kind, **kw):
    return [e for e in evs if e["kind"] == kind and all(e.get(k) == v for k, v in kw.items())]
# Static locks by address (from the guest's kallsyms), whatever name the dumper picks.
lock_addr = {}
for l in open(sys.argv[3]):
    a, _, n = l.split()[:3]
    lock_addr[int(a, 16)] = n
def lock_names(addr, name):
    return {name, lock_addr.get(int(addr, 16), name)}
def held(e):
    out = set()
    for l in e["locks"]["held"]:
        out |= lock_names(l["addr"], l.get("name", ""))
    return out

print(f"note: {len(evs)} events")
# Drops by cause from `modrace info`. Every cause that loses information must be zero.
# lock_recursion_irq is the kernel skipping a lock probe that fired while the same probe was
# running on that CPU, on a kernel whose preemption model (voluntary here) proves the nested run
# was an interrupt, which lock tracking ignores: counted, not a loss (docs/tracer.md).
m = re.search(r"^drops:\s+(\S+)\n((?:  .*\n)*)", info, re.M)
causes = dict(re.findall(r"^\s+(\w+)\s+(\d+)", m.group(2), re.M)) if m else {}
informational = {"lock_recursion_irq"}
lost = {k: v for k, v in causes.items() if k not in informational and v != "0"}
check(m is not None and m.group(1) == "none" and not lost,
      f"zero information-losing drops at default settings (drops: {causes or (m and m.group(1))})")
print(f"note: informational drops (lock_recursion_irq): {causes.get('lock_recursion_irq', '0')}")
check("preempt=voluntary" in info, "preemption model recorded in the features (preempt=voluntary)")
check("module_symbols=bpf" in info, "module symbols walked in the kernel (module_symbols=bpf)")

loads = {e["module_name"]: e for e in of("module_load") if not e.get("preexisting")}
for name in ("loop", "vfat", "fat", "serio_raw", "dummy"):
    e = loads.get(name)
    check(e is not None and int(e["core_text_start"], 16) != 0 and e["core_text_size"] > 0,
          f"module_load {name} with a core text range")
check(any(e.get("preexisting") and e["module"] != "0x0" for e in of("module_load")),
      "preexisting modules described with their struct module")
loop = loads.get("loop", {}).get("module")
states = [e["state"] for e in of("module_state") if e["module"] == loop]
for s in ("COMING", "LIVE", "GOING"):
    check(s in states, f"module_state {s} for loop")
check(len([e for e in of("module_free") if e["module"] == loop]) == 1, "module_free for loop")

dm = of("delete_module")
check(any(e["phase"] == "enter" and e["name"] == "loop" for e in dm), "delete_module enter name=loop")
check(any(e["phase"] == "exit" and e["name"] == "loop" and e["ret"] == 0 for e in dm),
      "delete_module exit loop ret=0")
check(any(e["phase"] == "exit" and e["name"] == "loop" and e["ret"] < 0 for e in dm),
      "delete_module exit of the second rmmod loop fails")

tg = of("try_module_get")
misc = [e for e in tg if e["module_name"] == "loop" and "misc_mtx" in held(e)]
check(any(e["success"] for e in misc), "try_module_get(loop) from misc_open holds misc_mtx")
check(all(e["comm"] and e["pid"] and e["stack_id"] for e in tg), "refcount events carry comm, pid, stack")
check(all(not e["caller"].startswith("arch_rethook") for e in tg), "caller ip is the real caller")
fs = [e for e in tg if e["module_name"] == "vfat" and "file_systems_lock" in held(e)]
check(any(e["success"] for e in fs), "try_module_get(vfat) from get_fs_type holds file_systems_lock")
check(all(e["locks"]["preempt_count"] > 0 for e in fs) and fs,
      "rwlock read side shows in preempt_count (calibrated)")
plain = [e for e in tg if not e["locks"]["held"] and not e["locks"]["in_interrupt"]]
check(all(e["locks"]["preempt_count"] == 0 and e["locks"]["rcu_depth"] == 0 for e in plain),
      "no locks held: preempt_count 0 and rcu_depth 0 after calibration")
fails = [e for e in tg if not e["success"]]
print(f"note: {len(fails)} failed try_module_get (none expected from this workload)")
check(len(of("module_get")) > 0, "module_get (__module_get) seen")
puts = of("module_put", module_name="loop")
check(puts and all(e["refcount"] >= 1 for e in puts), "module_put(loop) leaves the raw refcnt >= 1")
check(any(e["refcount"] == 1 for e in puts), "loop's refcnt returns to MODULE_REF_BASE (no users)")

for kind in ("driver_register", "driver_unregister"):
    d = [e for e in of(kind) if e.get("name") == "serio_raw"]
    ok = any(e["phase"] == "enter" and e["bus"] == "serio" and e["owner"] == loads.get("serio_raw", {}).get("module") for e in d)
    check(ok, f"{kind} enter serio_raw on bus serio, owner = serio_raw")
    check(any(e["phase"] == "exit" and e["ret"] == 0 for e in d), f"{kind} exit ret=0")

ul = of("unload_lock")
names = set()
for e in ul:
    names |= lock_names(e["lock"], e.get("lock_name", ""))
check("module_mutex" in names, "unload_lock: module_mutex taken by delete_module")
check("misc_mtx" in names, "unload_lock: misc_mtx taken by loop's exit (misc_deregister)")
check(len(of("unload_rcu_sync")) > 0, "unload_rcu_sync seen")
sys.exit(1 if bad else 0)
PY
# serio_raw lives for a moment (modprobe && rmmod): its driver object, static data inside the
# module, must still be named in the trace, i.e. its symbols were captured in the kernel before it
# went away. (Its init function tail-calls serio_register_driver, so no stack frame names it.)
"$MODRACE_BIN" dump --stacks "$OUT/trace" > "$WORK/stacks.txt" 2>&1
if grep -q "driver_register: enter driver=serio_raw bus=serio drv=serio_raw_drv" "$WORK/stacks.txt"; then
	pass "short-lived serio_raw's symbols captured ($(grep -o "drv=serio_raw_drv[^ ]*" "$WORK/stacks.txt" | head -1))"
else
	fail "serio_raw's driver object not named: $(grep -m1 "driver_register: enter driver=serio_raw" "$WORK/stacks.txt")"
fi
finish
