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

bad_option() { # bad_option OPTION ARGS...: one "modrace: OPTION: ..." line, exit 2, nothing written
  opt=$1; shift
  # (bounded in time: were a value taken, synth --events -1 would write until the disk is full)
  timeout 10 "$modrace" "$@" > /dev/null 2> "$tmp/err"
  rc=$?
  lines=$(wc -l < "$tmp/err")
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "^modrace: $opt: " "$tmp/err" || [ -e "$tmp/opt.trace" ]; then
    echo "FAIL: modrace $* -> rc=$rc, stderr:"; cat "$tmp/err"; fail=1
  fi
  rm -f "$tmp/opt.trace"
}
for v in -1 0 18446744073709551615; do bad_option --events synth --events "$v" -o "$tmp/opt.trace"; done
for v in 0 4000000000 -1; do bad_option --tasks synth --tasks "$v" -o "$tmp/opt.trace"; done
for cmd in record live; do
  for v in nan inf -inf -1 0 x; do bad_option --duration "$cmd" --duration "$v" -- true; done
done
# An output that is the input trace (through a link, too) is refused, and the trace is intact.
valid=$corpus/valid-one-chunk.mrtrace
cp "$valid" "$tmp/in.mrtrace"
ln -s "$tmp/in.mrtrace" "$tmp/link.mrtrace"
for args in "report $tmp/in.mrtrace -o $tmp/in.mrtrace" "report $tmp/in.mrtrace -o $tmp/link.mrtrace" \
            "export --perfetto $tmp/in.mrtrace $tmp/in.mrtrace" "export --perfetto $tmp/link.mrtrace $tmp/in.mrtrace"; do
  # shellcheck disable=SC2086
  timeout 10 "$modrace" $args > /dev/null 2> "$tmp/err"
  rc=$?
  if [ $rc -ne 2 ] || [ "$(wc -l < "$tmp/err")" -ne 1 ] || ! grep -q "^modrace: .*refusing to overwrite it" "$tmp/err" ||
     ! cmp -s "$valid" "$tmp/in.mrtrace"; then
    echo "FAIL: modrace $args -> rc=$rc, trace intact: $(cmp -s "$valid" "$tmp/in.mrtrace" && echo yes || echo no), stderr:"
    cat "$tmp/err"; fail=1
  fi
done
# A FIFO without a writer is refused at once (it used to block in open() forever).
mkfifo "$tmp/fifo"
for cmd in info dump report; do
  timeout 10 "$modrace" "$cmd" "$tmp/fifo" > /dev/null 2> "$tmp/err"
  rc=$?
  if [ $rc -ne 2 ] || ! grep -q "^modrace: $tmp/fifo: not a regular file\$" "$tmp/err"; then
    echo "FAIL: modrace $cmd FIFO -> rc=$rc (124: hung), stderr:"; cat "$tmp/err"; fail=1
  fi
done
# In range, the same options are taken.
"$modrace" synth --events 1000 --tasks 3 -o "$tmp/opt.trace" 2> "$tmp/err" ||
  { echo "FAIL: synth --events 1000 --tasks 3: $(cat "$tmp/err")"; fail=1; }
exit $fail
