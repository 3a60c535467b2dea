#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Every damaged seed trace makes dump, info and export print exactly one error line
# "modrace: FILE: <what> at offset N" on stderr and exit 2; valid ones exit 0. Out-of-range or
# non-finite option values are refused the same way (one "modrace: " line, exit 2, no output
# file), before anything runs: no root or kernel needed.
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

bad_option() { # bad_option ARGS...: one "modrace: ... OPTION ..." line, exit 2, nothing written
  # (bounded in time: were a value taken, synth --events -1 would write until the disk is full)
  timeout 10 "$modrace" "$@" > /dev/null 2> "$tmp/err"
  rc=$?
  lines=$(wc -l < "$tmp/err")
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q "^modrace: " "$tmp/err" || [ -e "$tmp/opt.trace" ]; then
    echo "FAIL: modrace $* -> rc=$rc, stderr:"; cat "$tmp/err"; fail=1
  fi
  rm -f "$tmp/opt.trace"
}
for v in -1 0 18446744073709551615; do bad_option synth --events "$v" -o "$tmp/opt.trace"; done
for v in 0 4000000000 -1; do bad_option synth --tasks "$v" -o "$tmp/opt.trace"; done
for cmd in record live; do
  for v in nan inf -inf -1 0 x; do bad_option "$cmd" --duration "$v" -- true; done
done
# In range, the same options are taken.
"$modrace" synth --events 1000 --tasks 3 -o "$tmp/opt.trace" 2> "$tmp/err" ||
  { echo "FAIL: synth --events 1000 --tasks 3: $(cat "$tmp/err")"; fail=1; }
exit $fail
