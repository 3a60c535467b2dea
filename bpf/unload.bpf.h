/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The unload-path recorder: while a task is inside delete_module, every lock it takes is
 * remembered once (unload_note), restamped at its first release (unload_released), and emitted at
 * delete_module's exit; the grace-period waits it makes are recorded as they happen.
 * Its lock sources: lock_push/lock_pop (lock_probes.bpf.h) with the probe provider, and lockdep's
 * lock_acquire/lock_release (the programs at the end of this file) on lockdep kernels.
 */
#pragma once

#define MR_UNLOAD_LOCKS \
	16384 /* distinct locks remembered across concurrent unloads (rmmod
				   loop alone takes ~600: per-object dentry and xarray locks) */
#define MR_UNLOAD_FRAMES 12 /* frames kept per remembered unload lock */

struct unload_lock_rec {
	__u64 addr;
	__u64 ip;
	__u64 ts; /* when the unload certainly held the lock: its first release, else its entry */
	__u64 class_key;
	__u32 kind;
	__u32 nr_frames;
	__u32 released;
	__u32 pad;
	__u64 frames[MR_UNLOAD_FRAMES];
};

/* A task inside delete_module. Its locks are emitted at its exit (emitting from inside a lock
 * probe would recurse into the ring buffer's own spinlock). Keyed by tid. */
struct unload_task {
	__u64 seq; /* distinguishes successive unloads in unload_locks */
	__u32 lost;
	__u32 noting; /* unload_note is building `rec` (see there) */
	char name[MR_MODULE_NAME_LEN];
	__u64 srcu_sync; /* kprobe flavour: the srcu_struct key of the synchronize_srcu in progress */
	struct unload_lock_rec
		rec; /* where unload_note builds a record: too big for the BPF stack */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64); /* concurrent delete_module calls */
	__type(key, __u32);
	__type(value, struct unload_task);
} unloading SEC(".maps");

/* The distinct locks each unload took, deduplicated by the map itself: a lock probe does one
 * lookup instead of scanning a list (a list scan in all 41 lock probes took the verifier minutes
 * under TCG). */
struct unload_lock_key {
	__u64 seq;
	__u64 addr;
	__u32 kind;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MR_UNLOAD_LOCKS);
	__type(key, struct unload_lock_key);
	__type(value, struct unload_lock_rec);
} unload_locks SEC(".maps");

/* Why unload locks were lost (their lock_table drops), for the recorder's closing message: an
 * unload_locks update failing with E2BIG (map full), ENOMEM (no free element), EBUSY (its bucket
 * locked on this CPU), another error; and delete_module calls the unloading map refused. */
__u64 unload_lost_why[MR_UNLOAD_LOST_WHY] = {};

static __always_inline void unload_lost(__u32 why)
{
	if (why < MR_UNLOAD_LOST_WHY)
		__sync_fetch_and_add(&unload_lost_why[why], 1);
}

/* Numbers successive unloads (unload_task.seq), which unload_locks tells apart. */
__u64 unload_seq = 0;

/*
 * Entries in `unloading`: counted up once a task's entry is in, down once it is deleted. Every lock
 * acquire and release asks whether its task is unloading; while nobody is (nearly always) this
 * global answers without the hash lookup. A task reads its own increment (program order), which is
 * all the question needs; a count left high by a missed exit only costs the lookup.
 */
__u32 unloads_active = 0;

/* ---- delete_module ---- */

static __always_inline int delete_enter(void *ctx, struct pt_regs *uregs)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	const char *uname = (const char *)PT_REGS_PARM1_CORE(uregs);
	struct mr_ev_delete_module *e;
	struct unload_task ut = {};
	__u32 *b;

	ut.seq = __sync_fetch_and_add(&unload_seq, 1) + 1;
	bpf_probe_read_user_str(ut.name, sizeof(ut.name), uname);
	b = busy_raise();
	if (bpf_map_update_elem(&unloading, &tid, &ut, BPF_ANY)) {
		count_drop(MR_DROP_LOCK_TABLE); /* more concurrent unloads than entries */
		unload_lost(4);
	} else {
		__sync_fetch_and_add(&unloads_active, 1);
	}
	busy_drop(b);
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_DELETE_MODULE, BEFORE_FRAMES(e), 1);
	e->phase = MR_PHASE_ENTER;
	e->flags = (__u32)PT_REGS_PARM2_CORE(uregs);
	bpf_probe_read_user_str(e->name, sizeof(e->name), uname);
	submit(e);
	return 0;
}

struct unload_emit_ctx {
	void *ctx;
	__u64 seq;
};

/* bpf_for_each_map_elem callback: emits and forgets the locks of one unload. */
static long emit_unload_lock(struct bpf_map *map, struct unload_lock_key *key,
			     struct unload_lock_rec *r, struct unload_emit_ctx *c)
{
	struct mr_ev_unload_lock *l;
	__u32 *b, n;

	if (key->seq != c->seq)
		return 0;
	l = reserve(sizeof(*l));
	if (l) {
		__builtin_memset(l, 0, sizeof(*l));
		fill_header(c->ctx, &l->hdr, MR_EV_UNLOAD_LOCK, BEFORE_FRAMES(l), 0);
		l->hdr.ts_ns = r->ts;
		/* The stack taken with the lock, sent as the record's tail. */
		n = r->nr_frames < MR_UNLOAD_FRAMES ? r->nr_frames : MR_UNLOAD_FRAMES;
		l->hdr.nr_frames = n;
		l->hdr.size = BEFORE_FRAMES(l) + n * sizeof(__u64);
		__builtin_memcpy(l->frames, r->frames, sizeof(r->frames));
		l->lock = r->addr;
		l->ip = r->ip;
		l->lock_kind = r->kind;
		l->class_key = r->class_key;
		submit(l);
	}
	b = busy_raise();
	bpf_map_delete_elem(map, key);
	busy_drop(b);
	return 0;
}

static __always_inline int delete_exit(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mr_ev_delete_module *e;
	struct unload_task *ut;
	struct unload_emit_ctx c = {.ctx = ctx};

	ut = bpf_map_lookup_elem(&unloading, &tid);
	if (ut) {
		c.seq = ut->seq;
		bpf_for_each_map_elem(&unload_locks, emit_unload_lock, &c, 0);
		if (ut->lost)
			count_drop(MR_DROP_LOCK_TABLE);
	}
	e = reserve(sizeof(*e));
	if (e) {
		__builtin_memset(e, 0, sizeof(*e));
		fill_header(ctx, &e->hdr, MR_EV_DELETE_MODULE, BEFORE_FRAMES(e), 0);
		e->phase = MR_PHASE_EXIT;
		e->ret = ret;
		if (ut)
			__builtin_memcpy(e->name, ut->name, sizeof(e->name));
		submit(e);
	}
	if (ut) {
		__u32 *b = busy_raise();

		if (!bpf_map_delete_elem(&unloading, &tid))
			__sync_fetch_and_sub(&unloads_active, 1);
		busy_drop(b);
	}
	return 0;
}

SEC("fentry/" MR_SYSCALL(delete_module))
int BPF_PROG(fe_delete_module, struct pt_regs *regs)
{
	return delete_enter(ctx, regs);
}

SEC("fexit/" MR_SYSCALL(delete_module))
int BPF_PROG(fx_delete_module, struct pt_regs *regs, long ret)
{
	return delete_exit(ctx, ret);
}

SEC("kprobe/" MR_SYSCALL(delete_module))
int BPF_KPROBE(kp_delete_module, struct pt_regs *regs)
{
	return delete_enter(ctx, regs);
}

SEC("kretprobe/" MR_SYSCALL(delete_module))
int BPF_KRETPROBE(kr_delete_module, long ret)
{
	return delete_exit(ctx, ret);
}

/* ---- the unload lockset ---- */

/* The calling task's unload, or NULL when it is not inside delete_module. */
static __always_inline struct unload_task *current_unload(void)
{
	__u32 tid;

	if (!unloads_active)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	return bpf_map_lookup_elem(&unloading, &tid);
}

/*
 * Remembers a lock taken while the task is inside delete_module, once per lock and unload.
 * (The lookup is open-coded here and in delete_exit: current_unload() would move the tid's
 * stack slot or the helper call and so change the 60-odd programs' code.)
 *
 * The record is built in the task's own unload_task, and a note that starts while one of the same
 * task is being built is dropped: where programs are preemptible (fentry on PREEMPT_RT), the
 * scheduler's locks taken when the task is preempted inside a note run this again for that task.
 * With a per-CPU scratch they overwrote the outer record between its filling and its insertion:
 * synchronize_srcu's srcu_struct was stored under its key with the values of a runqueue lock, and
 * an SRCU read side the unload waited for looked unprotected (6.12-rt, CI). Per task, concurrent
 * unloads on one CPU cannot overwrite each other's either. The dropped inner notes are the
 * scheduler's own locks, taken because the tracer ran, not by the unload path.
 */
static __always_inline void unload_note(void *ctx, __u64 addr, __u64 ip, __u32 kind,
					__u64 class_key)
{
	struct unload_lock_key key = {};
	struct unload_lock_rec *r;
	struct unload_task *ut;
	__u32 *b, tid;
	long got, err;

	if (!unloads_active)
		return;
	tid = (__u32)bpf_get_current_pid_tgid();
	ut = bpf_map_lookup_elem(&unloading, &tid);
	if (!ut)
		return;
	key.seq = ut->seq;
	key.addr = addr;
	key.kind = kind;
	if (bpf_map_lookup_elem(&unload_locks, &key) || ut->noting)
		return;
	b = busy_flag();
	if (!b)
		return;
	ut->noting = 1;
	r = &ut->rec;
	r->addr = addr;
	r->ip = ip;
	r->kind = kind;
	r->class_key = class_key;
	r->ts = bpf_ktime_get_ns();
	r->released = 0;
	got = bpf_get_stack(ctx, r->frames, sizeof(r->frames), 0);
	r->nr_frames = got > 0 ? got / sizeof(__u64) : 0;
	*b = busy_token();
	err = bpf_map_update_elem(&unload_locks, &key, r, BPF_NOEXIST);
	busy_drop(b);
	ut->noting = 0;
	if (err && err != -EEXIST) { /* EEXIST: noted meanwhile */
		ut->lost++;
		unload_lost(err == -E2BIG ? 0 : err == -ENOMEM ? 1 : err == -EBUSY ? 2 : 3);
	}
}

/*
 * The first release of a lock by an unloading task restamps its record. The acquire probes fire
 * at entry, before a contended lock is actually obtained: an unload blocked on a lock that an open
 * path holds would otherwise look as if it had taken the lock before that open path's get (a
 * false get-while-going). By its first release the unload certainly held it.
 * `ut`: the calling task's unload (current_unload()), looked up once per release.
 */
static __always_inline void unload_released(struct unload_task *ut, __u64 addr, __u32 kind)
{
	struct unload_lock_key key = {};
	struct unload_lock_rec *r;

	if (!ut)
		return;
	key.seq = ut->seq;
	key.addr = addr;
	key.kind = kind;
	r = bpf_map_lookup_elem(&unload_locks, &key);
	if (r && !r->released) {
		r->ts = bpf_ktime_get_ns();
		r->released = 1;
	}
}

/* ---- grace-period waits of an unloading task ---- */

static __always_inline int on_rcu_sync(void *ctx)
{
	struct mr_ev_unload_rcu_sync *e;

	if (!current_unload())
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_UNLOAD_RCU_SYNC, BEFORE_FRAMES(e), 1);
	/* Innermost real frame after the BPF frames is found by userspace; keep the function. */
	e->ip = bpf_get_func_ip(ctx);
	submit(e);
	return 0;
}

#define RCU_SYNC(fn)                               \
	SEC("fentry/" #fn) int BPF_PROG(fe_##fn)   \
	{                                          \
		return on_rcu_sync(ctx);           \
	}                                          \
	SEC("kprobe/" #fn) int BPF_KPROBE(kp_##fn) \
	{                                          \
		return on_rcu_sync(ctx);           \
	}

RCU_SYNC(synchronize_rcu)
RCU_SYNC(synchronize_rcu_expedited)
RCU_SYNC(rcu_barrier)

/*
 * synchronize_srcu{,_expedited}(ssp) by an unloading task: the srcu_struct joins the unload
 * lockset as MR_LOCK_SRCU_SYNC, which protects gets inside a read side of the same srcu_struct
 * (docs/protocol.md). Noted at entry and restamped when the wait returns (unload_released): a
 * reader that began after that could not find what the exit had unlinked before it, so the time
 * the unload "held" it is when every earlier reader was gone. The key is what the held set calls
 * that read side: the srcu_struct (probe provider), its dep_map (lockdep provider).
 */
static __always_inline int srcu_by_lockdep(void)
{
	/* Constants at load (rodata, CO-RE): the verifier drops the lockdep branches elsewhere. */
	return cfg_lock_provider == MR_LOCKS_LOCKDEP &&
	       bpf_core_field_exists(((struct srcu_struct___ld *)0)->dep_map);
}

static __always_inline __u64 srcu_key(void *ssp)
{
	if (srcu_by_lockdep())
		return (__u64)ssp + bpf_core_field_offset(struct srcu_struct___ld, dep_map);
	return (__u64)ssp;
}

static __always_inline int on_srcu_sync(void *ctx, void *ssp, __u64 ip)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct unload_task *ut = bpf_map_lookup_elem(&unloading, &tid);
	__u64 key = srcu_key(ssp), class_key = 0;

	if (!ut || !ssp)
		return 0;
	ut->srcu_sync = key;
	if (srcu_by_lockdep()) {
		class_key = (__u64)BPF_CORE_READ((struct lockdep_map___ld *)key, key);
		note_lock_class(class_key, key);
	}
	unload_note(ctx, key, ip, MR_LOCK_SRCU_SYNC, class_key);
	return on_rcu_sync(ctx);
}

static __always_inline int on_srcu_sync_done(__u64 key)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct unload_task *ut = bpf_map_lookup_elem(&unloading, &tid);

	if (ut && key)
		unload_released(ut, key, MR_LOCK_SRCU_SYNC);
	return 0;
}

static __always_inline __u64 srcu_sync_pending(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct unload_task *ut = bpf_map_lookup_elem(&unloading, &tid);

	return ut ? ut->srcu_sync : 0;
}

#define SRCU_SYNC(fn)                                              \
	SEC("fentry/" #fn) int BPF_PROG(fe_##fn, void *ssp)        \
	{                                                          \
		return on_srcu_sync(ctx, ssp, 0);                  \
	}                                                          \
	SEC("fexit/" #fn) int BPF_PROG(fx_##fn, void *ssp)         \
	{                                                          \
		return on_srcu_sync_done(srcu_key(ssp));           \
	}                                                          \
	SEC("kprobe/" #fn) int BPF_KPROBE(kp_##fn, void *ssp)      \
	{                                                          \
		return on_srcu_sync(ctx, ssp, kprobe_caller(ctx)); \
	}                                                          \
	SEC("kretprobe/" #fn) int BPF_KRETPROBE(kr_##fn)           \
	{                                                          \
		return on_srcu_sync_done(srcu_sync_pending());     \
	}

SRCU_SYNC(synchronize_srcu)
SRCU_SYNC(synchronize_srcu_expedited)

/* ---- lockdep kernels: the unload lockset from lock_acquire ---- */

static __always_inline int on_lock_acquire(void *ctx, struct lockdep_map___ld *lock, int read,
					   unsigned long ip)
{
	__u64 key;

	/* nested(): locks our own programs take (the unload lockset's map updates and deletes). */
	if (!unloads_active || nested() || is_rcu_map((__u64)lock) ||
	    in_irq_context(raw_preempt_count()) || !current_unload())
		return 0;
	key = (__u64)BPF_CORE_READ(lock, key);
	unload_note(ctx, (__u64)lock, ip, read ? MR_LOCK_LOCKDEP_READ : MR_LOCK_LOCKDEP, key);
	note_lock_class(key, (__u64)lock);
	return 0;
}

SEC("tp_btf/lock_acquire")
int BPF_PROG(tp_lock_acquire, struct lockdep_map___ld *lock, unsigned int subclass, int trylock,
	     int read, int check, void *next_lock, unsigned long ip)
{
	return on_lock_acquire(ctx, lock, read, ip);
}

SEC("fentry/lock_acquire")
int BPF_PROG(fe_lock_acquire, struct lockdep_map___ld *lock, unsigned int subclass, int trylock,
	     int read, int check, void *nest_lock, unsigned long ip)
{
	return on_lock_acquire(ctx, lock, read, ip);
}

SEC("kprobe/lock_acquire")
int BPF_KPROBE(kp_lock_acquire, struct lockdep_map___ld *lock, unsigned int subclass, int trylock,
	       int read, int check)
{
	/* The 7th argument is on the stack; the lock's own acquire ip is not needed here. */
	return on_lock_acquire(ctx, lock, read, 0);
}

/* The first release by an unloading task restamps its lock (see unload_released): lockdep's
 * lock_acquire fires before a contended lock is obtained, as the lock probes do. */
static __always_inline int on_lock_release(struct lockdep_map___ld *lock)
{
	struct unload_task *ut;

	/* Runs on every lock release in the kernel: nothing past this while no task is unloading,
	 * one lookup while one is. */
	if (!unloads_active || nested() || is_rcu_map((__u64)lock) ||
	    in_irq_context(raw_preempt_count()))
		return 0;
	ut = current_unload();
	if (!ut)
		return 0;
	unload_released(ut, (__u64)lock, MR_LOCK_LOCKDEP);
	unload_released(ut, (__u64)lock, MR_LOCK_LOCKDEP_READ);
	return 0;
}

SEC("tp_btf/lock_release")
int BPF_PROG(tp_lock_release, struct lockdep_map___ld *lock, unsigned long ip)
{
	return on_lock_release(lock);
}

SEC("fentry/lock_release")
int BPF_PROG(fe_lock_release, struct lockdep_map___ld *lock, unsigned long ip)
{
	return on_lock_release(lock);
}

SEC("kprobe/lock_release")
int BPF_KPROBE(kp_lock_release, struct lockdep_map___ld *lock)
{
	return on_lock_release(lock);
}
