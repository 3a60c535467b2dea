#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A trace whose process, module, symbol, lock and host names hold escape sequences, newlines and
# bytes that are not UTF-8 (traces/hostile.mrtrace, made by make_hostile_trace.cpp; committed,
# as the static binary's tests build nothing else): every format is valid output.
# JSON and SARIF parse (and report exits 1 for the finding, never 3 for a BUG); text (report,
# dump, info) is valid UTF-8 with no control character but the newline (and dump --stacks' tab),
# the names escaped as \x1b, \n.
# usage: hostile_names.sh MODRACE TRACE_DIR
set -u
modrace=$1
traces=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
trace=$traces/hostile.mrtrace

run() { # run WANT_RC ARGS...: the command's stdout in $tmp/out
  want=$1; shift
  "$modrace" "$@" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL: modrace $* -> rc=$rc (want $want), stderr:"; cat "$tmp/err"; fail=1
  fi
}
is_json() { # is_json FILE [lines]: one document, or one per line
  python3 -c '
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
docs = text.splitlines() if len(sys.argv) > 2 else [text]
for d in docs: json.loads(d)
' "$@" 2> "$tmp/pyerr" || { echo "FAIL: not JSON: $(cat "$tmp/pyerr")"; fail=1; }
}
is_text() { # is_text WHAT: $tmp/out and $tmp/err are UTF-8 without control characters
  for f in "$tmp/out" "$tmp/err"; do
    if ! iconv -f UTF-8 -t UTF-8 "$f" > /dev/null 2>&1; then
      echo "FAIL: $1: $(basename "$f") is not valid UTF-8"; fail=1
    fi
    if LC_ALL=C tr -d '\n\t' < "$f" | LC_ALL=C grep -q '[[:cntrl:]]'; then
      echo "FAIL: $1: raw control character in $(basename "$f"):"; od -c "$f" | head -20; fail=1
    fi
  done
}

for fmt in json sarif; do
  run 1 report --format "$fmt" "$trace"
  is_json "$tmp/out"
done
run 1 report "$trace"
is_text "report --format text"
grep -qF 'cat\x1b[31m\nX\xfe\x7f' "$tmp/out" ||
  { echo "FAIL: report text does not show the process name escaped"; fail=1; }
grep -q '^modrace: forged line' "$tmp/out" && { echo "FAIL: report text has a forged line"; fail=1; }
run 1 report --format text -o "$tmp/report.txt" "$trace"
cp "$tmp/report.txt" "$tmp/out"
is_text "report -o"
run 0 dump "$trace"
is_text dump
grep -qF 'cat\x1b[31m\nX\xfe\x7f' "$tmp/out" ||
  { echo "FAIL: dump does not show the process name escaped"; fail=1; }
run 0 dump --stacks "$trace"
is_text "dump --stacks"
run 0 dump --json --stacks "$trace"
is_json "$tmp/out" lines
run 0 info "$trace"
is_text info
grep -qF 'host\x1b]0;pwned\x07\xe2\x82' "$tmp/out" ||
  { echo "FAIL: info does not show the hostname escaped"; fail=1; }
run 0 export --perfetto "$tmp/perfetto.json" "$trace"
is_json "$tmp/perfetto.json"

# Drop counters that wrap when summed (2^63 + 2^63): never "none", never complete (item 3).
run 0 info "$traces/hostile-drops.mrtrace"
grep -q '^drops: *18446744073709551615 (saturated' "$tmp/out" ||
  { echo "FAIL: info on wrapping drops: $(grep '^drops' "$tmp/out")"; fail=1; }
run 0 report --format json "$traces/hostile-drops.mrtrace"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["complete"] is False and r["lock_info_complete"] is False else 1)' "$tmp/out" ||
  { echo "FAIL: report on wrapping drops is complete"; fail=1; }
exit $fail
