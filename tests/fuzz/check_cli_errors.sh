#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Every damaged seed trace makes dump, info and export print exactly one error line
# "modrace: FILE: <what> at offset N" on stderr and exit 2; valid ones exit 0.
# usage: check_cli_errors.sh MODRACE CORPUS_DIR
set -u
modrace=$1
corpus=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
: > "$tmp/empty.mrtrace"
head -c 4096 /dev/urandom > "$tmp/random.mrtrace"
for f in "$corpus"/*.mrtrace "$tmp/empty.mrtrace" "$tmp/random.mrtrace"; do
  for cmd in dump info export; do
    if [ "$cmd" = export ]; then
      set -- export --perfetto "$tmp/out.json" "$f"
    else
      set -- "$cmd" "$f"
    fi
    "$modrace" "$@" > /dev/null 2> "$tmp/err"
    rc=$?
    case $(basename "$f") in
      valid-*)
        if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
          echo "FAIL: modrace $* -> rc=$rc: $(cat "$tmp/err")"; fail=1
        fi ;;
      *)
        lines=$(wc -l < "$tmp/err")
        if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] ||
           ! grep -Eq "^modrace: $f: .+ at offset [0-9]+\$" "$tmp/err"; then
          echo "FAIL: modrace $* -> rc=$rc, stderr:"; cat "$tmp/err"; fail=1
        fi ;;
    esac
  done
done
exit $fail
