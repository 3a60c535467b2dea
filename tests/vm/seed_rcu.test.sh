#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Variant 5 in a real guest: lookup + get inside rcu_read_lock(), unregister unlinks and waits
# with synchronize_rcu(). Clean: no finding, the site's verdict protected by rcu.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-rcu
seed_expect_status 0
seed_no_splats
seed_log_has "seed-rcu: done"
seed_report --complete --site seed_get_driver_rcu@seed_core:protected:rcu
finish
