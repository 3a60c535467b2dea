#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Bash completion for modrace and modrace-vm, from the one source of their options, their own
# --help (as the man pages are):
#   gen-completion.sh MODRACE MODRACE_VM OUTDIR
# writes OUTDIR/modrace and OUTDIR/modrace-vm (installed into
# /usr/share/bash-completion/completions). Completes subcommands, each subcommand's options, and
# file names elsewhere.
set -euo pipefail
modrace=$1 vm=$2 out=$3
mkdir -p "$out"
# The option names of a --help text's option lines ("  -o,--output TEXT ..." -> "-o --output"),
# not those its prose mentions.
options() {
	grep -E '^ +-' | grep -oE '^ +-[^ ]+' | tr ',' '\n' | tr -d ' ' | sort -u | tr '\n' ' '
}

subs=$("$modrace" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
{
	echo "# bash completion for modrace (generated from modrace --help by docs/man/gen-completion.sh)"
	echo "_modrace() {"
	echo '	local cur=${COMP_WORDS[COMP_CWORD]} sub="" i opts'
	echo '	for ((i = 1; i < COMP_CWORD; i++)); do'
	echo '		case ${COMP_WORDS[i]} in -*) ;; *) sub=${COMP_WORDS[i]}; break ;; esac'
	echo '	done'
	echo '	case $sub in'
	echo "	'') opts=\"$(echo $subs) $("$modrace" --help | options)\" ;;"
	for s in $subs; do
		echo "	$s) opts=\"$("$modrace" "$s" --help | options)\" ;;"
	done
	echo '	*) opts="" ;;'
	echo '	esac'
	echo '	if [[ -z $sub || $cur == -* ]]; then'
	echo '		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")'
	echo '	else'
	echo '		mapfile -t COMPREPLY < <(compgen -f -- "$cur")'
	echo '	fi'
	echo "}"
	echo "complete -o filenames -F _modrace modrace"
} > "$out/modrace"
{
	echo "# bash completion for modrace-vm (generated from modrace-vm --help by docs/man/gen-completion.sh)"
	echo "_modrace_vm() {"
	echo '	local cur=${COMP_WORDS[COMP_CWORD]}'
	echo '	if [[ $cur == -* ]]; then'
	echo "		mapfile -t COMPREPLY < <(compgen -W \"$("$vm" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u | tr '\n' ' ')\" -- \"\$cur\")"
	echo '	else'
	echo '		mapfile -t COMPREPLY < <(compgen -f -- "$cur")'
	echo '	fi'
	echo "}"
	echo "complete -o filenames -F _modrace_vm modrace-vm"
} > "$out/modrace-vm"
