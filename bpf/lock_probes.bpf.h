/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Lock provider "probe": the per-task held-lock table kept by programs on the lock primitives.
 * The list of primitives is bpf/lock_probes.def, which the loader's attach table expands too.
 */
#pragma once

static __always_inline __u32 lock_family(__u32 kind, __u32 flags)
{
	__u32 rt = (flags & MR_HELD_RT) ? LOCK_FAM_RT : 0;

	switch (kind) {
	case MR_LOCK_MUTEX:
		return LOCK_FAM_MUTEX;
	case MR_LOCK_SPINLOCK:
		return LOCK_FAM_SPIN | rt;
	case MR_LOCK_RWLOCK_READ:
	case MR_LOCK_RWLOCK_WRITE:
		return LOCK_FAM_RWLOCK | rt;
	case MR_LOCK_SRCU_READ:
		return LOCK_FAM_SRCU;
	default:
		return LOCK_FAM_RWSEM;
	}
}

static __always_inline void lock_push(void *ctx, __u64 addr, __u64 ip, __u32 kind, __u32 flags,
				      int create)
{
	struct task_state *s;
	__u32 n;

	flags |= lock_family(kind, flags) << LOCK_FAM_SHIFT; /* constants at every call site */
	if (nested() || in_irq_context(raw_preempt_count()))
		return;
	s = task_state(create);
	if (s) {
		n = s->nr;
		if (n < MR_TASK_LOCKS) {
			s->locks[n].addr = addr;
			s->locks[n].ip = ip;
			s->locks[n].kind = kind;
			s->locks[n].flags = flags;
			s->nr = n + 1;
		} else {
			count_drop(MR_DROP_LOCK_TABLE);
			if (s->locks[MR_TASK_LOCKS - 1].kind < 8)
				__sync_fetch_and_add(
					&overflow_kind[s->locks[MR_TASK_LOCKS - 1].kind], 1);
		}
	}
	unload_note(ctx, addr, ip, kind, 0);
}

static __always_inline void lock_pop(__u64 addr, __u32 family)
{
	struct task_state *s;
	__u32 i, j, k, m, n, found = MR_TASK_LOCKS;

	if (nested() || in_irq_context(raw_preempt_count()))
		return;
	s = task_state(0);
	if (!s)
		return;
	n = s->nr;
	if (n > MR_TASK_LOCKS)
		n = MR_TASK_LOCKS;
	/*
	 * The innermost holder of this lock is the one released: search from the top and stop
	 * at the first match. (A forward scan remembering the last match leaves a different value
	 * in `found` on every path, which the verifier cannot prune: 110k instructions per release
	 * program, most of the start-up time under emulation.)
	 */
	for (k = 0; k < MR_TASK_LOCKS; k++) {
		if (k >= n)
			break;
		i = (n - 1 - k) & LOCK_IDX_MASK; /* < n already: the mask is for the verifier */
		if (s->locks[i].addr == addr && (s->locks[i].flags >> LOCK_FAM_SHIFT) == family) {
			found = i;
			break;
		}
	}
	if (found >= MR_TASK_LOCKS)
		return; /* taken before recording started, or by another task */
	/*
	 * After the search, `found` and `n` carry what each exit of the loop taught the verifier
	 * (k < n, found <= n - 1 - k): different ranges per exit, so the rest was verified once per
	 * exit (10.7k verified instructions per release program; 3.4k now). Read back from memory
	 * they are the same on every path, and the verifier prunes the exits. (Nothing else changes
	 * them meanwhile: only this task's own probes touch its table, and they do not nest;
	 * tp_sched_switch has a field of its own.)
	 */
	*(volatile __u32 *)&s->pop_at = found;
	found = *(volatile __u32 *)&s->pop_at;
	n = s->nr;
	if (n > MR_TASK_LOCKS)
		n = MR_TASK_LOCKS;
	if (found >= n)
		return;
	unload_released(current_unload(), addr, s->locks[found & LOCK_IDX_MASK].kind);
	/* Close the gap: the m entries above it move down one. No branch on `found` itself. */
	m = n - 1 - found;
	for (k = 0; k + 1 < MR_TASK_LOCKS; k++) {
		if (k >= m)
			break;
		j = found + k;
		s->locks[j & LOCK_IDX_MASK] = s->locks[(j + 1) & LOCK_IDX_MASK];
	}
	s->nr = n - 1;
}

/*
 * Every task alive at start-up gets its lock state before the lock probes attach (the loader runs
 * this iterator until none is missing). Created on demand instead, from inside the probes, a
 * burst of tasks all taking their first lock at once empties the storage allocator's per-CPU
 * cache (PREEMPT_RT refills it only from a kthread) and those first locks would be lost.
 */
SEC("iter/task")
int it_task_states(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (task && !bpf_task_storage_get(&task_states, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE))
		precreate_failed++;
	return 0;
}

/* kprobe flavour of a trylock/killable call: the lock is remembered at entry and pushed by the
 * return probe on success. Interrupts are ignored (they must not touch the task's pending
 * calls); a return probe the kernel missed (kretprobe instances exhausted) leaves a stale entry,
 * dropped when the stack is full. */
static __always_inline void try_enter(__u64 lock)
{
	struct task_state *s;
	__u32 d;

	if (nested() || in_irq_context(raw_preempt_count()))
		return;
	s = task_state(1);
	if (!s)
		return;
	d = s->try_depth;
	if (d >= MR_TRY_DEPTH) {
		count_drop(MR_DROP_LOCK_TABLE);
		d = 0;
	}
	s->try_addr[d & (MR_TRY_DEPTH - 1)] = lock;
	s->try_depth = d + 1;
}

static __always_inline __u64 try_exit(void)
{
	struct task_state *s;
	__u32 d;

	if (nested() || in_irq_context(raw_preempt_count()))
		return 0;
	s = task_state(0);
	if (!s || s->try_depth == 0)
		return 0;
	d = s->try_depth - 1;
	s->try_depth = d;
	return d < MR_TRY_DEPTH ? s->try_addr[d & (MR_TRY_DEPTH - 1)] : 0;
}

/* Acquire that cannot fail: pushed at entry. `create` is 0 for the irqsave programs. */
#define LOCK_ACQ(fn, kind, flags, create)                                             \
	SEC("fentry/" #fn)                                                            \
	int BPF_PROG(fe_##fn, void *lock)                                             \
	{                                                                             \
		lock_push(ctx, (__u64)lock, 0, kind, flags, create);                  \
		return 0;                                                             \
	}                                                                             \
	SEC("kprobe/" #fn)                                                            \
	int BPF_KPROBE(kp_##fn, void *lock)                                           \
	{                                                                             \
		lock_push(ctx, (__u64)lock, kprobe_caller(ctx), kind, flags, create); \
		return 0;                                                             \
	}

/* Acquire that can fail: pushed at exit when `ret == ok` (1 for trylocks, 0 for killable). */
#define LOCK_TRY(fn, kind, ok, flags)                                   \
	SEC("fexit/" #fn)                                               \
	int BPF_PROG(fx_##fn, void *lock, int ret)                      \
	{                                                               \
		if (ret == ok)                                          \
			lock_push(ctx, (__u64)lock, 0, kind, flags, 1); \
		return 0;                                               \
	}                                                               \
	SEC("kprobe/" #fn)                                              \
	int BPF_KPROBE(kp_##fn, void *lock)                             \
	{                                                               \
		try_enter((__u64)lock);                                 \
		return 0;                                               \
	}                                                               \
	SEC("kretprobe/" #fn)                                           \
	int BPF_KRETPROBE(kr_##fn, int ret)                             \
	{                                                               \
		__u64 lock = try_exit();                                \
		if (lock && ret == ok)                                  \
			lock_push(ctx, lock, 0, kind, flags, 0);        \
		return 0;                                               \
	}

/* Release of a lock of `family` (LOCK_FAM_*). */
#define LOCK_REL(fn, family)                   \
	SEC("fentry/" #fn)                     \
	int BPF_PROG(fe_##fn, void *lock)      \
	{                                      \
		lock_pop((__u64)lock, family); \
		return 0;                      \
	}                                      \
	SEC("kprobe/" #fn)                     \
	int BPF_KPROBE(kp_##fn, void *lock)    \
	{                                      \
		lock_pop((__u64)lock, family); \
		return 0;                      \
	}

/* One program set per line of lock_probes.def (the loader expands the same list into its rows). */
#include "lock_probes.def"
#undef LOCK_ACQ
#undef LOCK_TRY
#undef LOCK_REL

/* A task cannot sleep holding a spinlock or rwlock; the one it holds at a switch (rq->lock) is
 * released by the next task. Forget them so they do not linger in the switched-out task. */
SEC("tp_btf/sched_switch")
int BPF_PROG(tp_sched_switch, bool preempt, struct task_struct *prev)
{
	struct task_state *s;
	__u32 i, j, n;

	if (nested())
		return 0;
	s = bpf_task_storage_get(&task_states, prev, 0, 0);
	if (!s)
		return 0;
	n = s->nr;
	/*
	 * The kept entries move down to index `switch_kept`, a count kept in memory: held in a
	 * register, every count was a path of its own to the verifier (36k verified instructions;
	 * under 3.4k now); read from memory it is one unknown value, and the iterations prune.
	 * j <= i, so each copy is down or onto itself.
	 */
	*(volatile __u32 *)&s->switch_kept = 0;
	for (i = 0; i < MR_TASK_LOCKS; i++) {
		__u32 k;

		if (i >= n)
			break;
		k = s->locks[i].kind;
		if ((k == MR_LOCK_SPINLOCK || k == MR_LOCK_RWLOCK_READ ||
		     k == MR_LOCK_RWLOCK_WRITE) &&
		    !(s->locks[i].flags & MR_HELD_RT))
			continue;
		j = *(volatile __u32 *)&s->switch_kept;
		s->locks[j & LOCK_IDX_MASK] = s->locks[i];
		*(volatile __u32 *)&s->switch_kept = j + 1;
	}
	s->nr = *(volatile __u32 *)&s->switch_kept;
	return 0;
}
