/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Everything x86 in modrace's BPF side: the preempt count's home, the return address and the
 * interrupt flag in a kprobe's registers, and the syscall symbol prefix. Another architecture
 * provides the same names in its own arch_<arch>.bpf.h (and a vmlinux.h of its own).
 */
#pragma once

/* The syscall entry points' symbol: __x64_sys_NAME (CONFIG_ARCH_HAS_SYSCALL_WRAPPER). */
#define MR_SYSCALL(name) "__x64_sys_" #name

/* Folded into x86's preempt count (inverted): not part of the count proper. */
#define PREEMPT_NEED_RESCHED 0x80000000u
/* pt_regs->flags: interrupts enabled. */
#define X86_EFLAGS_IF 0x200ul

/* x86 preempt count: a per-CPU int up to 6.1 and again from 6.15, in pcpu_hot in between. */
extern const int __preempt_count __ksym __weak;
struct pcpu_hot {
	struct task_struct *current_task;
	int preempt_count;
} __attribute__((preserve_access_index));
extern const struct pcpu_hot pcpu_hot __ksym __weak;

static __always_inline __u32 raw_preempt_count(void)
{
	if (&__preempt_count) {
		const int *p = bpf_this_cpu_ptr(&__preempt_count);

		return (__u32)*p & ~PREEMPT_NEED_RESCHED;
	}
	if (&pcpu_hot) {
		const struct pcpu_hot *h = bpf_this_cpu_ptr(&pcpu_hot);

		return (__u32)BPF_CORE_READ(h, preempt_count) & ~PREEMPT_NEED_RESCHED;
	}
	return 0;
}

static __always_inline __u64 kprobe_caller(struct pt_regs *regs)
{
	__u64 ip = 0;

	/* At function entry the return address is at the top of the stack. */
	bpf_probe_read_kernel(&ip, sizeof(ip), (void *)PT_REGS_SP(regs));
	return ip;
}

static __always_inline int kprobe_irqs_off(struct pt_regs *regs)
{
	return !(BPF_CORE_READ(regs, flags) & X86_EFLAGS_IF);
}
