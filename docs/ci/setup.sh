#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# CI step 0 (docs/ci.md): on a Debian 12 runner, as root, install what modrace needs and build
# its static binary in the checkout MODRACE (the README's first command, without its demo run).
set -euo pipefail
MODRACE=${MODRACE:?set MODRACE to the modrace checkout}
"$MODRACE/tests/install-deps"
cmake -S "$MODRACE" -B "$MODRACE/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build "$MODRACE/build" -j"$(nproc)" --target modrace
