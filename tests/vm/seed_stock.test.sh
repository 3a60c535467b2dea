#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Stock Debian modules in a real guest (tests/vm/scenarios/stock.sh): vfat/ext4 through
# get_fs_type, loop-control and loop devices, a dummy netdev, three load/unload rounds (two on a
# lockdep kernel). The kernel's own open paths are correct: no finding; __get_fs_type's gets are protected by
# file_systems_lock (a read_lock, so the checker may credit it as rcu: preemption is off), and
# misc_open's get of loop by misc_mtx (loop's exit deregisters loop-control).
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
scenario_run stock 240
seed_expect_status 0
seed_no_splats
seed_log_has "stock: done"
seed_report --complete \
	--site "__get_fs_type:protected:file_systems_lock|rcu" \
	--site misc_open:protected:misc_mtx
finish
