/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Calibration: the preempt count and RCU depth the BPF machinery itself adds, per program type,
 * measured once at start-up; the loader copies them into base_preempt/base_rcu, which
 * capture_ctx (lock_ctx.bpf.h) subtracts.
 */
#pragma once

static __always_inline int calibrate(__u32 probe_ctx)
{
	__u32 pc, rcu;

	if (!calib_tid || (__u32)bpf_get_current_pid_tgid() != calib_tid || probe_ctx >= MR_CTX_MAX)
		return 0;
	pc = raw_preempt_count();
	rcu = raw_rcu_depth();
	/* The smallest value seen is the machinery's own share (nothing else is held here). */
	if (!calib_hits[probe_ctx] || pc < calib_preempt[probe_ctx])
		calib_preempt[probe_ctx] = pc;
	if (!calib_hits[probe_ctx] || rcu < calib_rcu[probe_ctx])
		calib_rcu[probe_ctx] = rcu;
	calib_hits[probe_ctx] += 1;
	return 0;
}

/*
 * Each program type is calibrated at a site used by nothing else: when a kprobe and a
 * trampoline share a function, ftrace's list function adds a preempt_disable of its own.
 * The loader calls getppid() (kprobe; no BTF for it, so no trampoline) and delete_module(NULL, 0)
 * (fentry; fails at once with EFAULT) with nothing held, before any other program is attached.
 */
SEC("kprobe/" MR_SYSCALL(getppid))
int BPF_KPROBE(kp_calib_kp)
{
	return calibrate(MR_CTX_KPROBE);
}

SEC("fentry/" MR_SYSCALL(delete_module))
int BPF_PROG(fe_calib_fe)
{
	return calibrate(MR_CTX_FENTRY);
}
