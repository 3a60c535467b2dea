/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --widen: hold the task at a chosen get site, at try_module_get/__module_get entry, so that an
 * unload on another CPU can win the race the site is suspected of (docs/protocol.md,
 * "Confirming a finding"). Second kprobes on the refcount functions, loaded only with the
 * option: attached after the refcount kprobe/kretprobe pair, they run first and read the
 * return address before the kretprobe replaces it.
 *
 * The hold is a bpf_loop over bpf_ktime_get_ns (no sleeping in a kprobe): bounded by the site's
 * delay, by MR_WIDEN_MAX_US per get and by MR_WIDEN_BUDGET_US per second over all CPUs (a get
 * past the budget is marked capped and not held). The program runs under rcu_read_lock with
 * preemption off, so while it holds the task, free_module (which waits for a grace period)
 * cannot free the module it is about to get: the widened race ends in a refused or late get, not
 * in a crash. The mark travels to the get's record through the task's pending_op (ref_exit).
 * Interrupt context is never held.
 */
#pragma once

/* The sites, written by userspace through the mmap-ed .bss (no map syscall while recording):
 * end last, so a slot is never live half-written. */
struct mr_widen_site widen_sites[MR_MAX_WIDEN_SITES] = {};
/* The per-second budget: the window's start and the delay spent in it (ns). */
__u64 widen_window_start = 0;
__u64 widen_window_used = 0;
/* What widening did, read by userspace at the end: gets held, gets capped, ns held. */
__u64 widen_counts[3] = {};

static long widen_spin(__u32 i, void *data)
{
	return bpf_ktime_get_ns() >= *(__u64 *)data; /* 1 stops the loop */
}

static __always_inline __u32 widen_delay_us(__u64 ip)
{
	for (__u32 i = 0; i < MR_MAX_WIDEN_SITES; i++) {
		struct mr_widen_site *w = &widen_sites[i];

		if (w->end && ip >= w->start && ip < w->end)
			return w->delay_us < MR_WIDEN_MAX_US ? w->delay_us : MR_WIDEN_MAX_US;
	}
	return 0;
}

/* Takes `ns` from this second's budget; 0 when it is spent. */
static __always_inline int widen_budget(__u64 now, __u64 ns)
{
	__u64 start = widen_window_start, used;

	if (now - start >= 1000000000ull &&
	    __sync_val_compare_and_swap(&widen_window_start, start, now) == start)
		widen_window_used = 0;
	used = __sync_fetch_and_add(&widen_window_used, ns);
	if (used + ns <= MR_WIDEN_BUDGET_US * 1000ull)
		return 1;
	__sync_fetch_and_sub(&widen_window_used, ns);
	return 0;
}

static __always_inline int widen_get(struct pt_regs *regs, struct module *mod)
{
	__u64 ip = kprobe_caller(regs), now, deadline, held;
	struct task_state *s;
	__u32 us;

	if (!mod || in_irq_context(raw_preempt_count()) || !module_wanted(mod))
		return 0;
	us = widen_delay_us(ip);
	if (!us)
		return 0;
	s = task_state(1);
	if (!s)
		return 0;
	now = bpf_ktime_get_ns();
	if (!widen_budget(now, us * 1000ull)) {
		s->ref.widen = MR_WIDEN_CAPPED;
		s->ref.widen_us = 0;
		__sync_fetch_and_add(&widen_counts[1], 1);
		return 0;
	}
	deadline = now + us * 1000ull;
	/* Each iteration reads the clock; the iteration cap bounds it should the clock stall. */
	bpf_loop(1 << 23, widen_spin, &deadline, 0);
	held = bpf_ktime_get_ns() - now;
	/* Interrupts (and, under emulation, the other vCPUs' turns) stretch a hold past its
	 * deadline: the budget pays what was actually held. */
	if (held > us * 1000ull)
		__sync_fetch_and_add(&widen_window_used, held - us * 1000ull);
	s->ref.widen = MR_WIDEN_HELD;
	s->ref.widen_us = held / 1000 < 0xffff ? held / 1000 : 0xffff;
	__sync_fetch_and_add(&widen_counts[0], 1);
	__sync_fetch_and_add(&widen_counts[2], held);
	return 0;
}

SEC("kprobe/try_module_get")
int BPF_KPROBE(kp_widen_try_module_get, struct module *mod)
{
	return widen_get(ctx, mod);
}

SEC("kprobe/__module_get")
int BPF_KPROBE(kp_widen___module_get, struct module *mod)
{
	return widen_get(ctx, mod);
}
