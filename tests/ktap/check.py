#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""`modrace report --format ktap` against the KTAP specification (ktap.py) and against the same
trace's JSON report: every finding and every get site is one test, `not ok` exactly for the
findings at or above --fail-on (and their sites), `# SKIP` exactly for the unverified sites, each
failing test preceded by diagnostics carrying its splat. Usage: check.py MODRACE TRACE..."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktap import KtapError, parse  # noqa: E402

RANK = {"info": 1, "warning": 2, "error": 3}
failures = 0


def check(cond, msg):
    global failures
    if cond:
        print(f"ok: {msg}")
    else:
        failures += 1
        print(f"FAIL: {msg}")


def run(modrace, *args):
    return subprocess.run([modrace, "report", *args], capture_output=True, text=True)


def main():
    modrace, traces = sys.argv[1], sys.argv[2:]
    for trace in traces:
        name = os.path.basename(trace)
        rep = json.loads(run(modrace, "--format", "json", "--fail-on", "none", trace).stdout)
        for fail_on in ("error", "info", "none"):
            p = run(modrace, "--format", "ktap", "--fail-on", fail_on, trace)
            try:
                top = parse(p.stdout)
            except KtapError as e:
                check(False, f"{name} --fail-on {fail_on}: not KTAP: {e}")
                continue
            tests = top.subtests
            findings, sites = rep["findings"], rep["sites"]
            check(len(tests) == len(findings) + len(sites) and top.plan == len(tests),
                  f"{name} --fail-on {fail_on}: {len(tests)} tests for {len(findings)} findings "
                  f"and {len(sites)} sites, plan {top.plan}")
            at_or_above = {f["id"] for f in findings
                           if fail_on != "none" and RANK[f["severity"]] >= RANK[fail_on]}
            want_bad = len(at_or_above) + sum(1 for s in sites if s["verdict"] in at_or_above)
            bad = [t for t in tests if not t.ok]
            check(len(bad) == want_bad,
                  f"{name} --fail-on {fail_on}: {len(bad)} not ok, want {want_bad}")
            check(all(t.diagnostics for t in bad),
                  f"{name} --fail-on {fail_on}: every not-ok test carries diagnostics")
            splat = [t for t in bad[:len(at_or_above)]]
            check(all(any(d.startswith("Call Trace") for d in t.diagnostics) for t in splat),
                  f"{name} --fail-on {fail_on}: failing findings carry their call trace")
            skips = [t for t in tests if t.directive == "SKIP"]
            want_skips = sum(1 for s in sites if s["verdict"] == "unverified")
            check(len(skips) == want_skips and all(t.ok and t.reason for t in skips),
                  f"{name} --fail-on {fail_on}: {len(skips)} skipped with a reason, want {want_skips}")
            want_status = 1 if at_or_above else 0
            check(p.returncode == want_status,
                  f"{name} --fail-on {fail_on}: exit {p.returncode}, want {want_status}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
