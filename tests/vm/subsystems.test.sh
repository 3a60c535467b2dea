#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The kernel's own get sites in twelve subsystems of a stock kernel (tests/vm/scenarios/
# subsystems.sh; docs/scenarios.md has the table): filesystems by mount (minix, qnx4, squashfs),
# nls through vfat's iocharset=, binfmt_misc, TCP congestion control, misc devices (tun, uinput),
# a cdev (/dev/ppp), sound (snd-dummy's control device), a tty line discipline (n_hdlc), AF_ALG,
# the default qdisc (sch_sfq) and I/O schedulers (kyber, bfq), each module unloaded afterwards.
# That code is correct: no error or warning finding, every get site judged, each protected by the
# lock the kernel takes there (named as the kernel names it) or RCU; snd_ctl_open, whose safety
# comes from snd_card_free draining the card's files, is unverified with that reason (the
# kernel-idiom table); snd_open's get on its own module under chrdev_open's reference is only an
# info-level self-get.
SRC=$1 BUILD=$2
. "$SRC/tests/vm/seed_common.sh"
seed_build
scenario_run subsystems 300 --file "$KMOD/kpathctl"
seed_expect_status 0
seed_no_splats
seed_log_has "subsystems: done"
if grep -q "subsystems: skip:" "$OUT/scenario.log" 2>/dev/null; then
	fail "a subsystem was skipped: $(grep 'subsystems: skip:' "$OUT/scenario.log" | tr '\n' ' ')"
fi
seed_report --complete --judged \
	--allow self-get:snd \
	--seen minix --seen qnx4 --seen squashfs --seen nls_iso8859_2 --seen nls_cp852 \
	--seen binfmt_misc --seen tcp_vegas --seen tun --seen uinput --seen ppp_generic \
	--seen snd_dummy --seen n_hdlc --seen algif_hash --seen md4 --seen sch_sfq \
	--seen kyber_iosched --seen bfq \
	--site '__get_fs_type:protected:file_systems_lock|rcu' \
	--site find_nls:protected:nls_lock \
	--site 'bprm_execve:protected:binfmt_lock|rcu' \
	--site tcp_set_default_congestion_control:protected:rcu \
	--site tcp_assign_congestion_control:protected:rcu \
	--site misc_open:protected:misc_mtx \
	--site exact_lock:protected:chrdevs_lock \
	--site 'tty_ldisc_get:protected:tty_ldiscs_lock|rcu' \
	--site alg_get_type@af_alg:protected:alg_types_sem \
	--site crypto_mod_get:protected:crypto_alg_sem \
	--site __crypto_alg_lookup:protected:crypto_alg_sem \
	--site 'qdisc_set_default:protected:qdisc_mod_lock|rcu' \
	--site snd_ctl_open@snd:unverified
# Which I/O-scheduler function takes the get moved between 6.1 (elevator_get) and 6.12
# (elv_iosched_store): whichever it is, it is protected by elv_list_lock.
python3 - "$OUT/report.json" <<'PY' || fail "I/O scheduler gets not all protected by elv_list_lock"
import json, sys
sites = json.load(open(sys.argv[1]))["sites"]
elv = [s for s in sites if s["module"] in ("kyber_iosched", "bfq") and s["op"] == "try_module_get"]
bad = [s for s in elv if not (s["verdict"] == "protected" and s.get("protected_by") in ("elv_list_lock", "rcu"))]
print("\n".join(f"  {s['module']} {s['site']} {s['verdict']} {s.get('protected_by')}" for s in bad))
sys.exit(1 if bad or not elv else 0)
PY
# The loop disk's gets under its open_mutex, a lock in no named object: named by kind and address
# (and where it was taken, when the lock probes are kprobes), never a bare address.
python3 - "$OUT/report.json" <<'PY' || fail "loop's heap-lock protection is not named 'mutex at 0x...'"
import json, sys
sites = json.load(open(sys.argv[1]))["sites"]
loop = [s for s in sites if s["module"] == "loop" and s["verdict"] == "protected" and s.get("protected_by") != "misc_mtx"]
print("\n".join(f"  {s['site']}: {s.get('protected_by')}" for s in loop))
sys.exit(0 if loop and all(s["protected_by"].startswith("mutex at 0x") for s in loop) else 1)
PY
# The sound idiom says why, in words.
if grep -q "snd_card_file_add" "$OUT/report.json"; then
	pass "snd_ctl_open's reason names snd_card_file_add"
else
	fail "snd_ctl_open's unverified reason does not explain the idiom"
fi
finish
