/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lock context at an event: preempt count and RCU depth less the calibrated baselines,
 * interrupt state, and the held set from the active provider (lockdep, or the probe table).
 */
#pragma once

/* The held-lock snapshot of the current (traced) code. */
static __always_inline void capture_ctx(struct mr_lock_ctx *c, __u32 probe_ctx, int irqs_off)
{
	__u32 pc = raw_preempt_count(), rcu = raw_rcu_depth();
	__u32 bp = 0, br = 0;
	struct task_state *s;
	__u32 i, n;

	if (probe_ctx < MR_CTX_MAX) {
		bp = base_preempt[probe_ctx];
		br = base_rcu[probe_ctx];
	}
	__builtin_memset(c, 0, sizeof(*c));
	c->in_interrupt = in_irq_context(pc);
	c->preempt_count = pc > bp ? pc - bp : 0;
	c->rcu_depth = rcu > br ? rcu - br : 0;
	c->irqs_disabled = irqs_off;
	c->provider = cfg_lock_provider;
	if (c->in_interrupt)
		return;

	if (cfg_lock_provider == MR_LOCKS_LOCKDEP) {
		capture_lockdep(c);
		return;
	}
	if (cfg_lock_provider != MR_LOCKS_PROBE)
		return;
	s = task_state(1);
	/* The map is looked up only once some task was marked: not on every get and put. */
	if (drop_counts[MR_DROP_TASK_STORAGE_MARKED] && lock_state_was_lost())
		c->truncated = 1; /* a lock of this task's may be missing (lock_state_lost) */
	if (!s)
		return;
	n = s->nr;
	if (n > MR_MAX_HELD_LOCKS)
		c->truncated = 1;
	for (i = 0; i < MR_MAX_HELD_LOCKS && i < MR_TASK_LOCKS; i++) {
		if (i >= n)
			break;
		c->locks[i].addr = s->locks[i].addr;
		c->locks[i].acquire_ip = s->locks[i].ip;
		c->locks[i].kind = s->locks[i].kind;
		c->locks[i].flags = s->locks[i].flags & LOCK_FLAGS_OUT;
		if (s->locks[i].flags & MR_HELD_IRQ)
			c->irqs_disabled = 1;
		c->nr_locks = i + 1;
	}
	/* Locks beyond the captured ones can still disable interrupts. */
	for (; i < MR_TASK_LOCKS; i++) {
		if (i >= n)
			break;
		if (s->locks[i].flags & MR_HELD_IRQ)
			c->irqs_disabled = 1;
	}
}
