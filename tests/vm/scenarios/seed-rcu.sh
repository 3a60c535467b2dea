#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-rcu (variant 5): the lookup and try_module_get run inside rcu_read_lock(); the unload path
# unlinks the driver and waits with synchronize_rcu() (and free_module waits for a grace period
# before freeing module memory). Clean: no finding; the site in seed_get_driver_rcu is rcu.
set -eu
M=$1
. "$M/seed-lib.sh"
seed_open_unload seed-rcu 5
