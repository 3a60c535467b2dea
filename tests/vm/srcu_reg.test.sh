#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# SRCU in a real guest (tests/kmod/srcu_reg.c, scenario srcu-reg): lookups and try_module_get
# inside srcu_read_lock(&srcu_reg_srcu) (and, from 6.4, srcu_down_read and
# srcu_read_lock_nmisafe on a struct of its own), unregister doing list_del_rcu() and then
# synchronize_srcu{,_expedited}() before the owner's exit returns: correct code, each such site
# protected by its srcu_struct. The negative control, a lookup under a srcu_struct unregister never
# waits for, must stay an unprotected-get naming that read side.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
scenario_run srcu-reg 180 --module "$KMOD/srcu_reg.ko" --module "$KMOD/srcu_client.ko"
seed_expect_status 1
seed_no_splats
seed_log_has "calls done"
# The read side the negative control holds, named by its srcu_struct on every kernel (on 6.1's
# lockdep kernel its class is srcu_module_coming()'s "*(sspp++)", shared by all of them).
wrong_lock=srcu_reg_notify_srcu
args=(--complete
	--site 'srcu_reg_get_call@srcu_reg:protected:srcu srcu_reg_srcu'
	--expect "unprotected-get:srcu_client:srcu_reg_get_call_wrong@srcu_reg:$wrong_lock"
	--site srcu_reg_get_call_wrong@srcu_reg:finding)
if grep -q "paths.* call_down" "$OUT/scenario.log" 2>/dev/null; then
	args+=(--site 'srcu_reg_get_call_down@srcu_reg:protected:srcu srcu_reg_srcu'
		--site 'srcu_reg_get_call_nmisafe@srcu_reg:protected:srcu srcu_reg_nmi_srcu')
fi
seed_report "${args[@]}"
finish
