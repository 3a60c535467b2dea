#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-confirm-locked: the negative control of seed-confirm. The correct variant (3) takes
# seed_driver_lock across lookup and get, and seed_drv's unregister takes it too; widened at its
# get site, a get may well be refused on a GOING module (the exit waiting for the lock), which is
# the kernel doing its job: modrace must confirm nothing. Runs LIMIT seconds at most either way.
# Needs seedctl in $1.
set -eu
M=$1
. "$M/seed-lib.sh"
# seed_race exits: a subshell keeps this script going.
(DELAY_US=0 HITS=20 LIMIT=${LIMIT:-30} seed_race seed-confirm-locked 3) ||
	echo "seed-confirm-locked: no refused get on a GOING module"
echo "seed-confirm-locked: done"
