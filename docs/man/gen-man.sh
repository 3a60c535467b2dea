#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Man pages from the one source of each command's options, its own --help, with help2man:
#   gen-man.sh MODRACE MODRACE_VM VERSION OUTDIR
# writes modrace.1 (with every subcommand's usage), modrace-<subcommand>.1 for each subcommand
# and modrace-vm.1. The subcommands are read from `modrace --help`, so a new one needs no edit here.
set -euo pipefail
modrace=$1 vm=$2 version=$3 out=$4
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
see="docs/usage.md and docs/protocol.md in the modrace sources (/usr/share/doc/modrace when installed)."

# roff-safe verbatim text: backslashes doubled, a leading . or ' escaped.
verbatim() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

subs=$("$modrace" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
{
	echo "[SUBCOMMANDS]"
	for s in $subs; do
		echo ".SS modrace $s"
		echo ".nf"
		"$modrace" "$s" --help | verbatim
		echo ".fi"
	done
	echo "[SEE ALSO]"
	echo ".BR modrace-vm (1),"
	for s in $subs; do echo ".BR modrace-$s (1),"; done
	echo "$see"
} > "$tmp/modrace.h2m"
help2man --no-info --no-discard-stderr --version-string="$version" \
	--name="check the kernel module lock/refcount protocol" \
	--include="$tmp/modrace.h2m" --output="$out/modrace.1" "$modrace"

for s in $subs; do
	# help2man runs a program: one that is `modrace SUBCOMMAND`.
	printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$modrace" "$s" > "$tmp/modrace-$s"
	chmod +x "$tmp/modrace-$s"
	summary=$("$modrace" --help | awk -v s="$s" '$1 == s {$1 = ""; sub(/^ +/, ""); print; exit}')
	printf '[SEE ALSO]\n.BR modrace (1).\n%s\n' "$see" > "$tmp/sub.h2m"
	help2man --no-info --no-discard-stderr --version-string="$version" \
		--name="$summary" --include="$tmp/sub.h2m" --output="$out/modrace-$s.1" "$tmp/modrace-$s"
done

printf '[SEE ALSO]\n.BR modrace (1).\ndocs/vm.md in the modrace sources.\n' > "$tmp/vm.h2m"
help2man --no-info --no-discard-stderr --version-string="$version" \
	--name="boot a test kernel under QEMU and check modules with modrace" \
	--include="$tmp/vm.h2m" --output="$out/modrace-vm.1" "$vm"

# help2man dates a page "December 2026", which man readers cannot parse: the ISO date instead
# (SOURCE_DATE_EPOCH, when set, for a reproducible build).
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%F)
sed -i -E "s/^(\.TH [^\"]*\"[0-9]+\" )\"[A-Za-z]+ [0-9]{4}\"/\1\"$date\"/" "$out"/*.1
