#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# seed-confirm: the unprotected variant (1) racing rmmod/insmod cycles of seed_drv WITHOUT seed_core's
# compiled-in race delay (race_delay_us=0): the lookup->get window is a few instructions, and only
# `modrace record --widen` at the get site (passed by the test) makes the unload win. Stops once
# seed_core saw 20 gets refused on a GOING module (exit 0): past --widen's per-second budget a get
# is not held, so one refused get alone may be an unheld one. Else after LIMIT seconds (exit 1).
# Needs seedctl in $1.
set -eu
M=$1
. "$M/seed-lib.sh"
DELAY_US=0 HITS=20 seed_race seed-confirm 1
