#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every reading command on each resource bomb of tests/fuzz/regressions (bomb-*.mrtrace, written
# by make_bombs.cpp): within 1 GiB of address space and 20 s each, exit 0, 1 or 2 (the contract:
# a damaged trace ends with one "modrace: FILE: ... at offset N" line), never a signal or BUG.
# usage: check_bombs.sh MODRACE DIR
set -u
modrace=$1
dir=$2
vmem=$((1024 * 1024))  # KiB
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for f in "$dir"/bomb-*.mrtrace; do
  for cmd in "report" "report --format json" "report --format sarif" "report --format ktap" \
             "info" "dump" "dump --json --stacks" "export --perfetto $tmp/out.json"; do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    (ulimit -v "$vmem"; exec timeout -s KILL 20 "$modrace" $cmd "$f") > /dev/null 2> "$tmp/err"
    rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    what="$(basename "$f"): modrace $cmd"
    if [ $rc -gt 2 ] || grep -q BUG "$tmp/err"; then
      echo "FAIL: $what -> rc=$rc (137: over 20 s; 134/139: killed, e.g. out of memory) after ${secs}s:"
      head -5 "$tmp/err"; fail=1
    elif [ $rc = 2 ] && ! tail -1 "$tmp/err" | grep -Eq "^modrace: $f: .+ at offset [0-9]+"; then
      echo "FAIL: $what -> rc=2 without the one-line error:"; cat "$tmp/err"; fail=1
    else
      printf '%s: rc=%s %.2fs\n' "$what" "$rc" "$secs"
    fi
  done
done
exit $fail
