#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A KTAP version 1 parser written from the kernel's specification
(Documentation/dev-tools/ktap.rst, docs.kernel.org/dev-tools/ktap.html), independent of
modrace's printer. parse(text) returns the top-level Test, or raises KtapError on output that
breaks the specification:

  - the first line is a version line, "KTAP version 1" (or "TAP version 13|14");
  - a plan line "1..N" may follow; the number of results at that level must then be N;
  - a result line is "ok|not ok <number> [<description>][ # [<directive>] [<diagnostic>]]",
    numbered from 1 in order; directives are SKIP, TODO, XFAIL, TIMEOUT, ERROR;
  - diagnostic lines begin with "#"; they belong to the test whose result follows them;
  - a nested test is indented by 4 spaces, opens with its own version line and ends with its
    result line at the outer level;
  - other lines are "unknown lines": allowed and ignored.
"""
import re
import sys

VERSION_RE = re.compile(r"^(KTAP version 1|TAP version 1[34])$")
PLAN_RE = re.compile(r"^1\.\.(\d+)$")
RESULT_RE = re.compile(r"^(ok|not ok) (\d+)(?: ([^#]*?))?\s*(?:#(.*))?$")
DIRECTIVES = ("SKIP", "TODO", "XFAIL", "TIMEOUT", "ERROR")


class KtapError(Exception):
    pass


class Test:
    def __init__(self):
        self.number = 0
        self.ok = None
        self.name = ""
        self.directive = None  # "SKIP", ... or None
        self.reason = ""  # the text after the directive, or the diagnostic after "#"
        self.diagnostics = []  # "#" lines before the result line
        self.plan = None
        self.subtests = []


def _result(line, test):
    m = RESULT_RE.match(line)
    if not m:
        return False
    test.ok = m.group(1) == "ok"
    test.number = int(m.group(2))
    test.name = (m.group(3) or "").strip()
    tail = (m.group(4) or "").strip()
    word = tail.split(" ", 1)[0] if tail else ""
    if word.upper() in DIRECTIVES:
        test.directive = word.upper()
        test.reason = tail[len(word):].strip()
    else:
        test.reason = tail
    return True


def _parse_level(lines, i, indent):
    """Parses one test list (version, plan, results) at `indent`; returns (parent, next index)."""
    parent = Test()
    pad = " " * indent
    if i >= len(lines) or not VERSION_RE.match(lines[i][indent:]) or not lines[i].startswith(pad):
        raise KtapError(f"line {i + 1}: expected a version line, got {lines[i] if i < len(lines) else 'EOF'!r}")
    i += 1
    pending_diag = []
    pending_subtests = []
    while i < len(lines):
        raw = lines[i]
        if indent and not raw.startswith(pad):
            break  # back to the outer level: the nested test's own result line
        line = raw[indent:]
        if line.startswith(" " * 4) and VERSION_RE.match(line[4:]):
            sub, i = _parse_level(lines, i, indent + 4)
            pending_subtests = sub.subtests
            pending_plan = sub.plan
            continue
        if PLAN_RE.match(line):
            if parent.plan is not None or parent.subtests:
                raise KtapError(f"line {i + 1}: plan line after results")
            parent.plan = int(PLAN_RE.match(line).group(1))
        elif line.startswith("#"):
            pending_diag.append(line[1:].strip())
        elif line.startswith("ok ") or line.startswith("not ok "):
            t = Test()
            if not _result(line, t):
                raise KtapError(f"line {i + 1}: malformed result line {line!r}")
            if t.number != len(parent.subtests) + 1:
                raise KtapError(f"line {i + 1}: test number {t.number}, expected {len(parent.subtests) + 1}")
            t.diagnostics, pending_diag = pending_diag, []
            t.subtests, pending_subtests = pending_subtests, []
            parent.subtests.append(t)
        # anything else: an unknown line, ignored
        i += 1
    if parent.plan is not None and parent.plan != len(parent.subtests):
        raise KtapError(f"plan says {parent.plan} tests, {len(parent.subtests)} results")
    return parent, i


def parse(text):
    lines = text.splitlines()
    top, i = _parse_level(lines, 0, 0)
    if i != len(lines):
        raise KtapError(f"line {i + 1}: trailing output at an outer level")
    return top


if __name__ == "__main__":
    t = parse(open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read())
    bad = [s for s in t.subtests if not s.ok]
    skip = [s for s in t.subtests if s.directive == "SKIP"]
    print(f"{len(t.subtests)} tests, {len(bad)} not ok, {len(skip)} skipped")
