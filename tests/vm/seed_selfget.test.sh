#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Self-get in a real guest: seed_drv calls try_module_get(THIS_MODULE) from its own open op.
# Wants self-get on seed_drv at seed_drv_open and nothing else (its balancing put happens while
# seed_core still holds the open's reference, so it is not a self-put). The opener holds that
# reference when seed_drv_open gets its own module, so the self-get is redundant, not a race:
# severity info (docs/protocol.md).
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
seed_run seed-selfget
# With the default --fail-on error, modrace-vm exits 0 and the finding is in the report.
seed_expect_status 0
seed_no_splats
seed_log_has "seed-selfget: done"
seed_report --complete \
	--expect self-get:seed_drv:seed_drv_open@seed_drv \
	--site seed_get_driver_locked@seed_core:protected:seed_driver_lock
sev=$(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print(" ".join(f["severity"] for f in r["findings"] if f["rule"] == "self-get"))' "$OUT/report.json")
if [ "$sev" = info ]; then pass "self-get under the opener's reference is info"; else fail "self-get severity '$sev', wanted info"; fi
finish
