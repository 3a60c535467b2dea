#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The output contract (issue 18 items 4-5): a failed write to stdout or -o is exit 2 with one
# line "modrace: <path>: <error>"; an unwritable stderr never aborts; -o goes through a temporary
# file renamed into place; trace files are 0600.
# usage: output_errors.sh MODRACE CORPUS_DIR
set -u
modrace=$1
corpus=$2
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
fail=0
valid=$corpus/valid-one-chunk.mrtrace
all=$corpus/valid-all-kinds.mrtrace

check() { # check WANT_RC LINE_REGEX DESCRIPTION: $rc and $tmp/err as wanted, one line
  if [ "$rc" -ne "$1" ] || [ "$(wc -l < "$tmp/err")" -ne 1 ] || ! grep -Eq -- "$2" "$tmp/err"; then
    echo "FAIL: $3 -> rc=$rc (want $1, one line matching '$2'), stderr:"; cat "$tmp/err"; fail=1
  fi
}

# 1. stdout on a full disk, or closed: exit 2, one line naming stdout.
if [ -w /dev/full ]; then
  for args in "report $all" "report --format json $all" "dump $all" "dump --stacks $all" "info $all" \
              "synth --help"; do
    # shellcheck disable=SC2086
    "$modrace" $args > /dev/full 2> "$tmp/err"; rc=$?
    check 2 '^modrace: stdout: No space left on device$' "modrace $args >/dev/full"
  done
fi
for args in "report $all" "dump $all" "info $all"; do
  # shellcheck disable=SC2086
  "$modrace" $args >&- 2> "$tmp/err"; rc=$?
  check 2 '^modrace: stdout: Bad file descriptor$' "modrace $args >&-"
done

# 2. An unwritable stderr never aborts (134): the documented status, the line lost.
for redir in full closed; do
  for args in "info $tmp/missing" "report --format nope $valid" "synth --events -1 -o $tmp/x" \
              "dump $corpus/bit-flip.mrtrace"; do
    if [ $redir = full ]; then
      [ -w /dev/full ] || continue
      # shellcheck disable=SC2086
      "$modrace" $args > /dev/null 2> /dev/full; rc=$?
    else
      # shellcheck disable=SC2086
      "$modrace" $args > /dev/null 2>&-; rc=$?
    fi
    [ "$rc" -eq 2 ] || { echo "FAIL: modrace $args with stderr $redir -> rc=$rc (want 2)"; fail=1; }
  done
done
"$modrace" synth --events 100 -o "$tmp/s.mrtrace" 2>&-; rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: synth with stderr closed -> rc=$rc"; fail=1; }

# 3. -o through a temporary file: the report lands whole, nothing else is left; a directory
# that cannot be written leaves the old report as it was; -o into a directory is refused.
mkdir "$tmp/out"
"$modrace" report --format json -o "$tmp/out/r.json" "$all" 2> "$tmp/err"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out/r.json" ||
  { echo "FAIL: report -o: not whole JSON"; fail=1; }
[ "$(ls -A "$tmp/out")" = r.json ] || { echo "FAIL: report -o left: $(ls -A "$tmp/out")"; fail=1; }
"$modrace" export --perfetto "$tmp/out/p.json" "$all" 2> "$tmp/err" ||
  { echo "FAIL: export: $(cat "$tmp/err")"; fail=1; }
[ "$(ls -A "$tmp/out" | tr '\n' ' ')" = "p.json r.json " ] ||
  { echo "FAIL: export left: $(ls -A "$tmp/out")"; fail=1; }
if [ "$(id -u)" != 0 ]; then  # root writes anywhere
  cp "$tmp/out/r.json" "$tmp/r.json.orig"
  chmod a-w "$tmp/out"
  "$modrace" report -o "$tmp/out/r.json" "$all" > /dev/null 2> "$tmp/err"; rc=$?
  check 2 "^modrace: $tmp/out/r.json: Permission denied\$" "report -o in a read-only directory"
  cmp -s "$tmp/out/r.json" "$tmp/r.json.orig" || { echo "FAIL: the old report was changed"; fail=1; }
  chmod u+w "$tmp/out"
fi
"$modrace" report -o "$tmp/out" "$all" > /dev/null 2> "$tmp/err"; rc=$?
check 2 "^modrace: $tmp/out: Is a directory\$" "report -o DIR"
"$modrace" report --fail-on none -o /dev/null "$all" 2> "$tmp/err"; rc=$?
[ "$rc" -eq 0 ] && [ -c /dev/null ] || { echo "FAIL: report -o /dev/null -> rc=$rc"; fail=1; }

# 4. Trace files are created owner-only.
mode=$(stat -c %a "$tmp/s.mrtrace")
[ "$mode" = 600 ] || { echo "FAIL: synth created its trace $mode, want 600"; fail=1; }

exit $fail
