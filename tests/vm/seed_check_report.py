#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check a modrace report.json from a seed scenario against what the scenario must produce.

Runs on the host. Used by tests/vm/seed_*.test.sh; one line per check, "ok: ..." or
"FAIL: ...", exit 1 if any check failed.

  seed_check_report.py REPORT.json [options]
    --expect RULE:MODULE:FUNC[@SITEMOD][:LOCK]
        at least one finding with that rule, on that module, whose site is in FUNC (of module
        SITEMOD when given), with LOCK among its locks_held when given
    --allow RULE[:MODULE]   findings that may appear but are not required
    --site FUNC[@SITEMOD]:VERDICT[:LOCK]
        the get site(s) in FUNC have that verdict (protected, by-reference, unverified, core,
        finding: the id of a finding); "protected:L" also needs the site protected by L
        (protected_by; "rcu" for RCU/preemption-disabled sections, "L1|L2" accepts either);
        "!protected" means any verdict but protected
    --complete              the trace must be complete with no lost events
    --seen MODULE           at least one get site on MODULE (its subsystem's get was seen)
    --judged                no site is unverified unless a --site spec wants it unverified
    --outstanding MODULE[:FUNC[@SITEMOD]]
                            an outstanding reference on MODULE (taken in FUNC) at the end
    --confirmed RULE:MODULE:FUNC[@SITEMOD]
                            that finding is confirmed by --widen (widened.confirmed)
    --widened               gets were held by --widen (the report's "widen" totals)
    --none-confirmed        no finding is confirmed (--widen's negative control)
Any finding that no --expect or --allow matches is a failure.

A site is a symbolized caller like "seed_open+0x3c/0x120 [seed_core]"; FUNC is compared with the
entry's "function" field when present, else the symbol before the "+"; SITEMOD with the name in
brackets.
"""
import argparse
import json
import re
import sys

SITE_RE = re.compile(r"^\s*([A-Za-z0-9_.$]+)(?:\+0x[0-9a-fA-F]+(?:/0x[0-9a-fA-F]+)?)?\s*(?:\[([^\]]+)\])?")

failures = 0


def ok(msg):
    print(f"ok: {msg}")


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}")


def parse_site(site):
    """('seed_open', 'seed_core') from 'seed_open+0x3c/0x120 [seed_core]'."""
    if not isinstance(site, str):
        return None, None
    m = SITE_RE.match(site)
    if not m:
        return None, None
    func = m.group(1)
    # Compiler clones (seed_open.cold, .isra.0) belong to the function they came from.
    func = func.split(".")[0]
    return func, m.group(2)


def lock_names(locks):
    """Lock names out of locks_held, whether strings or objects."""
    names = []
    for lk in locks or []:
        if isinstance(lk, str):
            names.append(lk)
        elif isinstance(lk, dict):
            for key in ("name", "lock", "symbol"):
                if isinstance(lk.get(key), str):
                    names.append(lk[key])
            names.append(json.dumps(lk))
    return names


def has_lock(locks, want):
    return any(re.search(rf"\b{re.escape(want)}\b", n) for n in lock_names(locks))


def split_func(spec):
    func, _, mod = spec.partition("@")
    return func, (mod or None)


def site_matches(entry, func, mod):
    """A finding or site entry is in FUNC (of module MOD): its "function" field when the
    report has one, else the symbol in its "site" string; MOD is the [module] of "site"."""
    f, m = parse_site(entry.get("site"))
    if isinstance(entry.get("function"), str) and entry["function"]:
        f = entry["function"].split(".")[0]
    return f == func and (mod is None or m == mod)


def names_lock(site, want):
    """The site's verdict names lock WANT (one of "a|b"): protected_by when the report has it
    (a lock name, or "rcu"), else anywhere outside locks_held."""
    alts = want.split("|")
    if "protected_by" in site:
        return str(site["protected_by"]) in alts
    named = json.dumps({k: v for k, v in site.items() if k not in ("locks_held", "held_locks")})
    return any(re.search(rf"\b{re.escape(a)}\b", named) for a in alts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--allow", action="append", default=[])
    ap.add_argument("--site", action="append", default=[])
    ap.add_argument("--complete", action="store_true")
    ap.add_argument("--seen", action="append", default=[])
    ap.add_argument("--judged", action="store_true")
    ap.add_argument("--outstanding", action="append", default=[])
    ap.add_argument("--confirmed", action="append", default=[])
    ap.add_argument("--widened", action="store_true")
    ap.add_argument("--none-confirmed", action="store_true")
    args = ap.parse_args()

    try:
        with open(args.report) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read {args.report}: {e}")
        return 1

    for key in ("events", "lost_events", "complete", "findings", "sites", "outstanding"):
        if key not in rep:
            fail(f"report.json has no top-level '{key}'")
    findings = rep.get("findings") or []
    sites = rep.get("sites") or []
    for i, fd in enumerate(findings):
        missing = [k for k in ("id", "rule", "severity", "module", "site", "stack", "count",
                               "locks_held", "message") if k not in fd]
        if missing:
            fail(f"finding {i} lacks {', '.join(missing)}: {json.dumps(fd)[:200]}")

    if args.complete:
        if rep.get("complete") is True and rep.get("lost_events", 1) == 0:
            ok(f"trace complete, no lost events ({rep.get('events')} events)")
        else:
            fail(f"trace incomplete: complete={rep.get('complete')} lost_events={rep.get('lost_events')}")
    elif rep.get("lost_events"):
        print(f"note: {rep.get('lost_events')} lost events, complete={rep.get('complete')}")

    matched = set()
    for spec in args.expect:
        parts = spec.split(":")
        if len(parts) not in (3, 4):
            fail(f"bad --expect {spec}")
            continue
        rule, module, funcspec = parts[:3]
        lock = parts[3] if len(parts) == 4 else None
        func, smod = split_func(funcspec)
        hits = [i for i, fd in enumerate(findings)
                if fd.get("rule") == rule and fd.get("module") == module
                and site_matches(fd, func, smod)
                and (lock is None or has_lock(fd.get("locks_held"), lock))]
        if hits:
            matched.update(hits)
            fd = findings[hits[0]]
            ok(f"{rule} on {module} at {fd.get('site')}" + (f" holding {lock}" if lock else "")
               + f" (count {fd.get('count')})")
        else:
            fail(f"no {rule} finding on {module} at {funcspec}" + (f" holding {lock}" if lock else "")
                 + "; findings: " + json.dumps([(fd.get('rule'), fd.get('module'), fd.get('site'),
                                                 fd.get('locks_held')) for fd in findings]))

    for i, fd in enumerate(findings):
        if i in matched:
            continue
        allowed = False
        for spec in args.allow:
            rule, _, module = spec.partition(":")
            if fd.get("rule") == rule and (not module or fd.get("module") == module):
                allowed = True
        if allowed:
            print(f"note: allowed {fd.get('rule')} on {fd.get('module')} at {fd.get('site')}")
        else:
            fail(f"unexpected finding {fd.get('rule')} on {fd.get('module')} at {fd.get('site')}: "
                 f"{fd.get('message')}")
            # What the verdict was judged against, for a failure seen only in CI's log.
            held = ", ".join(f"{l.get('name')}@{l.get('addr')}/{l.get('kind')}"
                             for l in fd.get("locks_held", []))
            path = ", ".join(f"{l.get('name')}@{l.get('addr')}/{l.get('kind')}"
                             for l in fd.get("unload_locks", []) if l.get("unregister_path")
                             or l.get("kind", "").startswith("srcu"))
            print(f"  held: {held}\n  unload path (module code and SRCU): {path}\n"
                  f"  lock_info_complete={rep.get('lock_info_complete')} "
                  f"drops={rep.get('trace', {}).get('drops')}")

    by_id = {fd.get("id"): fd for fd in findings}
    for spec in args.site:
        funcspec, _, want = spec.partition(":")
        func, smod = split_func(funcspec)
        want_verdict, _, want_lock = want.partition(":")
        chosen = [s for s in sites if site_matches(s, func, smod)]
        if not chosen:
            fail(f"no get site in {funcspec}; sites: "
                 + json.dumps([(s.get('site'), s.get('verdict')) for s in sites]))
            continue
        for s in chosen:
            verdict = s.get("verdict")
            vstr = verdict if isinstance(verdict, str) else json.dumps(verdict)
            if want_verdict.startswith("!"):
                good = not vstr.startswith(want_verdict[1:])
            elif want_verdict == "finding":
                good = verdict in by_id
            else:
                good = any(vstr.startswith(v) for v in want_verdict.split("|"))
            if good and want_lock and vstr.startswith("protected"):
                # Being merely held (locks_held) does not make a lock the protecting one.
                good = names_lock(s, want_lock)
            desc = f"site {s.get('site')} on {s.get('module')}: verdict {vstr}"
            if good:
                ok(f"{desc} (wanted {want})")
            else:
                fail(f"{desc}, wanted {want}: {json.dumps(s)[:300]}")

    for module in args.seen:
        on = [s for s in sites if s.get("module") == module]
        if on:
            ok(f"{module}: {len(on)} get site(s) seen")
        else:
            fail(f"no get site on {module}")

    if args.judged:
        may = [split_func(spec.partition(":")[0]) for spec in args.site
               if "unverified" in spec.partition(":")[2]]
        loose = [s for s in sites if s.get("verdict") == "unverified"
                 and not any(site_matches(s, f, m) for f, m in may)]
        for s in loose:
            fail(f"site {s.get('site')} on {s.get('module')} unverified: {s.get('reason')}")
        if not loose:
            ok(f"every one of {len(sites)} get sites judged (unverified only where expected)")

    for spec in args.outstanding:
        module, _, funcspec = spec.partition(":")
        outs = [o for o in rep.get("outstanding") or []
                if isinstance(o, dict) and o.get("module") == module
                and (not funcspec or site_matches(o, *split_func(funcspec)))]
        if outs:
            ok(f"{module} has outstanding references taken at {outs[0].get('site')} "
               f"(count {outs[0].get('count')})")
        else:
            fail(f"no outstanding reference on {spec}: {json.dumps(rep.get('outstanding'))[:300]}")

    for spec in args.confirmed:
        rule, module, funcspec = (spec.split(":") + ["", ""])[:3]
        func, smod = split_func(funcspec)
        fds = [fd for fd in findings if fd.get("rule") == rule and fd.get("module") == module
               and site_matches(fd, func, smod)]
        w = fds[0].get("widened", {}) if fds else {}
        if w.get("confirmed"):
            ok(f"{rule} on {module} at {fds[0].get('site')}: {w.get('text')}")
        else:
            fail(f"{spec} not confirmed: {json.dumps(w) if fds else 'no such finding'}")

    widen = rep.get("widen") or {}
    if args.widened:
        if widen.get("held", 0) > 0:
            ok(f"widened: {widen.get('held')} gets held ({widen.get('held_us', 0) / 1000:.1f} ms), "
               f"{widen.get('capped', 0)} capped")
        else:
            fail(f"no get was held by --widen: {json.dumps(widen)}")

    if args.none_confirmed:
        conf = [fd for fd in findings if (fd.get("widened") or {}).get("confirmed")]
        if conf:
            fail("confirmed: " + json.dumps([(fd.get("rule"), fd.get("site")) for fd in conf]))
        else:
            ok(f"no finding confirmed ({len(findings)} findings)")

    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
