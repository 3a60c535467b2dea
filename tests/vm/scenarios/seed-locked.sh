#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-locked (variant 3): lookup and try_module_get both run under seed_driver_lock, which
# seed_unregister_driver (called from seed_drv's exit, i.e. its unload path) also takes: the
# correct pattern. modrace must report no finding and mark the get site in
# seed_get_driver_locked as protected by seed_driver_lock.
set -eu
M=$1
. "$M/seed-lib.sh"
seed_open_unload seed-locked 3
