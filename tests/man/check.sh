#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The man pages and bash completion (docs/man), generated as the build does: each page lints
# clean with mandoc (warnings and above) and renders with man -l; there is a page per subcommand
# and modrace(1) shows every subcommand; the completion offers subcommands and each one's options.
set -uo pipefail
MODRACE=${1:?usage: check.sh MODRACE SRC}
SRC=${2:?usage: check.sh MODRACE SRC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
bash "$SRC/docs/man/gen-man.sh" "$MODRACE" "$SRC/vm-images/modrace-vm" 0.0.0 "$tmp/man1" \
	|| fail "gen-man.sh failed"
bash "$SRC/docs/man/gen-completion.sh" "$MODRACE" "$SRC/vm-images/modrace-vm" "$tmp/comp" \
	|| fail "gen-completion.sh failed"
subs=$("$MODRACE" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
[ -n "$subs" ] || fail "no subcommands in modrace --help"
for page in modrace modrace-vm $(for s in $subs; do echo "modrace-$s"; done); do
	f="$tmp/man1/$page.1"
	[ -s "$f" ] || { fail "$page.1 missing"; continue; }
	if lint=$(mandoc -T lint -W warning "$f" 2>&1); then pass "$page.1 lints clean"; else fail "$page.1: $lint"; fi
	if MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q "^NAME"; then pass "$page.1 renders"; else fail "$page.1 does not render"; fi
done
rendered=$(MANWIDTH=200 man -l "$tmp/man1/modrace.1" 2>/dev/null)
for s in $subs; do
	grep -q "modrace $s" <<< "$rendered" || fail "modrace(1) lacks the $s subcommand"
done
grep -q -- "--format" <<< "$(MANWIDTH=200 man -l "$tmp/man1/modrace-report.1" 2>/dev/null)" \
	&& pass "modrace-report(1) documents --format" || fail "modrace-report(1) lacks --format"
# Completion, as bash calls it.
complete_of() { # complete_of FILE FUNC WORD...: COMPREPLY for the last word
	bash -c '. "$1"; f=$2; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); $f; echo "${COMPREPLY[*]}"' \
		_ "$@"
}
got=$(complete_of "$tmp/comp/modrace" _modrace modrace re)
[ "$got" = "record report" ] && pass "modrace re<TAB>: $got" || fail "modrace re<TAB> gave '$got'"
got=$(complete_of "$tmp/comp/modrace" _modrace modrace report --f)
[ "$got" = "--fail-on --format" ] && pass "modrace report --f<TAB>: $got" || fail "modrace report --f<TAB> gave '$got'"
got=$(complete_of "$tmp/comp/modrace" _modrace modrace synth --)
grep -q -- "--events" <<< "$got" && ! grep -q -- "--format" <<< "$got" \
	&& pass "synth's options are its own" || fail "modrace synth --<TAB> gave '$got'"
got=$(complete_of "$tmp/comp/modrace-vm" _modrace_vm modrace-vm --kernel-f)
[ "$got" = "--kernel-flavor" ] && pass "modrace-vm --kernel-f<TAB>: $got" || fail "modrace-vm --kernel-f<TAB> gave '$got'"
[ "$failures" = 0 ] || { echo "man: $failures check(s) failed"; exit 1; }
