#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""What every trace the recorder writes must satisfy, whatever the scenario: checked on each VM
test's trace (tests/vm/seed_common.sh, seed_report). Reads `modrace dump --json TRACE` on stdin;
prints one "ok: ..." or "FAIL: ..." line per invariant; exit 1 when one fails.

1. Ring order is causal for the refcount: a get or put record showing refcnt 0 (the base
   claimed by try_release_module_ref) comes while a delete_module of that module is in progress
   in the ring (between its enter and exit records). The counter is read before the record is
   reserved (bpf/refcount.bpf.h); read after, a stalled vCPU put such a record ahead of the
   delete_module that claimed the base, and the analyzer saw a put-underflow.
2. An unload's lock records are distinct: bpf/unload.bpf.h keys them by (unload, lock, kind), so
   a (lock, kind) pair twice in one delete_module means a record was stored under another's key
   (a preempted note overwrote the one being built: a lost srcu-sync on PREEMPT_RT).
"""
import json
import sys


def main():
    unloading = {}  # module name -> number of delete_module calls in progress
    per_tid = {}  # tid -> set of (lock, kind) recorded for its delete_module in progress
    early = []  # refcount records with refcnt 0 outside any delete_module of their module
    dups = []
    refcounts = unload_locks = 0
    for line in sys.stdin:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        kind = e.get("kind")
        if kind == "delete_module":
            name, tid = e.get("name", ""), e.get("tid")
            if e.get("phase") == "enter":
                unloading[name] = unloading.get(name, 0) + 1
                per_tid[tid] = set()
            else:
                if unloading.get(name, 0) > 0:
                    unloading[name] -= 1
                per_tid.pop(tid, None)
        elif kind in ("try_module_get", "__module_get", "module_put"):
            refcounts += 1
            if e.get("refcount") == 0 and not unloading.get(e.get("module_name", ""), 0):
                early.append(e)
        elif kind == "unload_lock":
            unload_locks += 1
            seen = per_tid.get(e.get("tid"))
            if seen is None:
                continue
            key = (e.get("lock"), e.get("lock_kind"))
            if key in seen:
                dups.append(e)
            seen.add(key)
    ok = True
    if early:
        ok = False
        e = early[0]
        print(f"FAIL: {len(early)} refcount record(s) show refcnt 0 outside a delete_module of "
              f"their module, first: {e.get('kind')} of {e.get('module_name')} by "
              f"{e.get('comm')}/{e.get('tid')} at {e.get('ts_ns')} ns ({e.get('caller')})")
    else:
        print(f"ok: recorder: no refcnt-0 record outside a delete_module ({refcounts} refcount records)")
    if dups:
        ok = False
        e = dups[0]
        print(f"FAIL: {len(dups)} unload lock record(s) repeat a (lock, kind) of the same "
              f"delete_module, first: {e.get('lock_name')} {e.get('lock_kind')} by tid {e.get('tid')}")
    else:
        print(f"ok: recorder: each unload's lock records distinct ({unload_locks} records)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
