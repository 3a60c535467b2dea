#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The output contract (issue 18 items 4-6): a failed write to stdout or -o is exit 2 with one
# line "modrace: <path>: <error>"; an unwritable stderr never aborts; -o goes through a temporary
# file renamed into place; trace files are 0600; a damaged trace is never reported clean;
# non-regular inputs are refused with one line; --ko says what is wrong with its path.
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
# A write that fails half-way (the file size limit, which binds root too): exit 2, the old
# report as it was, no temporary file left.
echo old > "$tmp/out/old.json"
sh -c 'trap "" XFSZ; ulimit -f 2; exec "$@"' sh "$modrace" report --format json \
  -o "$tmp/out/old.json" "$all" > /dev/null 2> "$tmp/err"; rc=$?
check 2 "^modrace: $tmp/out/old.json: File too large\$" "report -o past the file size limit"
[ "$(cat "$tmp/out/old.json")" = old ] || { echo "FAIL: a failed report -o changed the old file"; fail=1; }
[ "$(ls -A "$tmp/out" | tr '\n' ' ')" = "old.json p.json r.json " ] ||
  { echo "FAIL: a failed report -o left: $(ls -A "$tmp/out")"; fail=1; }
rm "$tmp/out/old.json"
if [ -w /dev/full ]; then
  "$modrace" report -o /dev/full "$all" > /dev/null 2> "$tmp/err"; rc=$?
  check 2 '^modrace: /dev/full: No space left on device$' "report -o /dev/full"
fi
"$modrace" report -o "$tmp/out" "$all" > /dev/null 2> "$tmp/err"; rc=$?
check 2 "^modrace: $tmp/out: Is a directory\$" "report -o DIR"
"$modrace" report --fail-on none -o /dev/null "$all" 2> "$tmp/err"; rc=$?
[ "$rc" -eq 0 ] && [ -c /dev/null ] || { echo "FAIL: report -o /dev/null -> rc=$rc"; fail=1; }

# 4. Trace files are created owner-only.
mode=$(stat -c %a "$tmp/s.mrtrace")
[ "$mode" = 600 ] || { echo "FAIL: synth created its trace $mode, want 600"; fail=1; }

# 5. A damaged trace is never clean. Its only chunk corrupt: nothing read, exit 2, no report.
corrupt_chunk() { # corrupt_chunk IN OUT N: flip a byte in the payload of the Nth chunk block
  python3 - "$@" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
off, seen = 16, 0
while off + 16 <= len(data):
    btype, flags, stored = struct.unpack_from("<HHI", data, off)
    if btype == 2:
        seen += 1
        if seen == int(sys.argv[3]):
            data[off + 16 + stored // 2] ^= 0x40
            open(sys.argv[2], "wb").write(data)
            sys.exit(0)
    off += 16 + stored
sys.exit("no such chunk")
PY
}
corrupt_chunk "$valid" "$tmp/only-chunk.mrtrace" 1
for fo in error info none; do
  "$modrace" report --fail-on $fo "$tmp/only-chunk.mrtrace" > "$tmp/out.txt" 2> "$tmp/err"; rc=$?
  check 2 "^modrace: $tmp/only-chunk.mrtrace: corrupt chunk .* at offset [0-9]+; no event could be read\$" \
    "report --fail-on $fo on a trace whose only chunk is corrupt"
  [ -s "$tmp/out.txt" ] && { echo "FAIL: a report of nothing was printed"; fail=1; }
done
# A later chunk corrupt: the report of the part read says complete: false, then exit 2 under
# --fail-on; --fail-on none exits 0 (the report still says INCOMPLETE).
n=$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); off, n = 16, 0
while off + 16 <= len(d):
    t, f, s = struct.unpack_from("<HHI", d, off); n += t == 2; off += 16 + s
print(n)' "$all")
corrupt_chunk "$all" "$tmp/late-chunk.mrtrace" "$n"
"$modrace" report --format json "$tmp/late-chunk.mrtrace" > "$tmp/r.json" 2> "$tmp/err"; rc=$?
check 2 "^modrace: $tmp/late-chunk.mrtrace: corrupt chunk .* at offset [0-9]+\$" "report on a trace with a corrupt last chunk"
python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); sys.exit(r["complete"] is not False)' "$tmp/r.json" ||
  { echo "FAIL: the report of a damaged trace is not complete: false"; fail=1; }
"$modrace" report --fail-on none "$tmp/late-chunk.mrtrace" > "$tmp/r.txt" 2> "$tmp/err"; rc=$?
if [ "$rc" -ne 0 ] || ! grep -q INCOMPLETE "$tmp/r.txt"; then
  echo "FAIL: report --fail-on none on a damaged trace -> rc=$rc"; fail=1
fi

# 6. Non-regular inputs: one line, exit 2, nothing opened (a FIFO would hang).
mkfifo "$tmp/fifo"
for f in "$tmp/fifo" "$tmp/out" /dev/null /dev/zero; do
  for cmd in info dump report export; do
    if [ $cmd = export ]; then set -- export --perfetto "$tmp/e.json" "$f"; else set -- $cmd "$f"; fi
    timeout 10 "$modrace" "$@" > /dev/null 2> "$tmp/err"; rc=$?
    check 2 "^modrace: $f: not a regular file\$" "modrace $*"
  done
done
# Not even opened (opening a device can act: a tape rewinds, a watchdog arms), where strace can
# tell: stat says what it is first.
if command -v strace > /dev/null && strace -o /dev/null true 2> /dev/null; then
  strace -f -e trace=open,openat -o "$tmp/strace" "$modrace" info /dev/zero > /dev/null 2>&1
  if grep -q '"/dev/zero"' "$tmp/strace"; then
    echo "FAIL: info /dev/zero opened it:"; grep '/dev/zero' "$tmp/strace"; fail=1
  fi
fi

# 7. --ko and --modules-dir say what is wrong with their path.
"$modrace" report --ko "$tmp/out" "$valid" > /dev/null 2> "$tmp/err"; rc=$?
check 2 "^modrace: --ko $tmp/out: is a directory \(--ko takes a .ko file; --modules-dir $tmp/out searches one\)\$" "--ko DIR"
"$modrace" report --ko "$tmp/nope.ko" "$valid" > /dev/null 2> "$tmp/err"; rc=$?
check 2 "^modrace: --ko $tmp/nope.ko: no such file\$" "--ko missing"
"$modrace" report --modules-dir "$valid" "$valid" > /dev/null 2> "$tmp/err"; rc=$?
check 2 "^modrace: --modules-dir $valid: not a directory\$" "--modules-dir FILE"
exit $fail
