#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# CI step 1 (docs/ci.md): build the module(s) in DIR (default: the current directory, a module's
# own repository with its Kbuild/Makefile) against the test VM kernel's headers.
#   MODRACE=/path/to/modrace-checkout docs/ci/build-module.sh [DIR] [FLAVOR]
set -euo pipefail
MODRACE=${MODRACE:?set MODRACE to the modrace checkout}
dir=$(cd "${1:-.}" && pwd)
flavor=${2:-debian-6.1}
kdir=$("$MODRACE/vm-images/modrace-vm" --kernel-flavor "$flavor" --print-kdir)
make -C "$kdir" M="$dir" modules
ls "$dir"/*.ko
