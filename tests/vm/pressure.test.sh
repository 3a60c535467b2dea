#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Short-lived loads under ring-buffer pressure (issue 14, item 2): ten loads of reuse_a and its
# client, each alive for a fraction of a second, while modrace_bench floods get/put pairs into a
# 32 KiB ring buffer. Records are lost (the test checks that they are: otherwise it proves
# nothing), whole loads among them, and the trace must say so honestly: `info` says loads may be
# missing from its list; every load it lists either has its symbols or is listed under "missing
# symbols" with the ring buffer's loss as the reason; the report is marked incomplete; no get
# site in reuse_a's code is named from another load or module (a bare address when the load
# live then is unknown).
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
scenario_run pressure 240 --record-args "--ringbuf-size 32K" \
	--module "$KMOD/modrace_bench.ko" --module "$KMOD/reuse_a.ko" --module "$KMOD/reuse_client_a.ko"
[ "$vm_status" = 0 ] || [ "$vm_status" = 1 ] && pass "modrace-vm exit $vm_status (report made)" \
	|| seed_expect_status 1
seed_no_splats
seed_log_has "pressure: done"

"$MODRACE_BIN" info "$OUT/trace" > "$OUT/info.txt" 2>&1 || true
if python3 - "$OUT/info.txt" "$OUT/report.json" > "$OUT/pressure.log" 2>&1 <<'PY'; then
import json, re, sys
info = open(sys.argv[1]).read()
r = json.load(open(sys.argv[2]))
drops = re.search(r"^drops:\s*(.*)$", info, re.M).group(1)
assert drops.strip() != "none", "no records were lost: the flood did not overflow the ring buffer"
loads = re.findall(r"^  (reuse_a|reuse_client_a)\s+\S+ text (\S+) loaded (\S+) freed (\S+) symbols (\d+)$", info, re.M)
assert loads, "no load of reuse_a or reuse_client_a in info"
# Loads whose records were lost are unknown; info says so instead of listing them as complete.
assert re.search(r"^modules: .*missing from this list", info, re.M), "info does not say loads may be missing"
missing = info.split("missing symbols:", 1)[1] if "missing symbols:" in info else ""
without = [l for l in loads if l[4] == "0"]
for l in without:
    text = l[1].split("+")[0]
    line = [m for m in missing.splitlines() if m.strip().startswith(l[0] + " ") and f"0x{int(text, 16):x}" in m]
    assert line, f"{l[0]} loaded at {l[2]} has no symbols and info does not list it"
    assert "ring buffer lost" in line[0], f"missing for another reason: {line[0]}"
assert r["complete"] is False, "report claims complete information although records were lost"
# Names: a get in reuse_a's text is named from reuse_a's own load (reuse_a_*, or .text+0x.. when
# that load's symbols were lost) or left a bare address when the load live then is unknown;
# never another module's or load's symbol.
a_text = [l[1] for l in loads if l[0] == "reuse_a"][0].split("+")
lo, hi = int(a_text[0], 16), int(a_text[0], 16) + int(a_text[1], 16)
n = 0
for s in r["sites"] + r["findings"] + r.get("unverified", []):
    site = s.get("site", "")
    named_in_a = site.endswith("[reuse_a]")
    bare = re.fullmatch(r"0x[0-9a-f]+", site) is not None
    if not (named_in_a or (bare and lo <= int(site, 16) < hi)):
        continue
    assert bare or site.startswith("reuse_a_") or site.startswith(".text+0x"), f"site named {site}"
    n += 1
assert n >= 1, "no get site in reuse_a's code in the report"
print(f"drops: {drops}; {len(loads)} loads, {len(without)} without symbols (each listed with the "
      f"ring buffer's loss); {n} sites in reuse_a's code, none named from another load")
PY
	pass "$(tail -1 "$OUT/pressure.log")"
else
	fail "$(tail -3 "$OUT/pressure.log")"
fi
finish
