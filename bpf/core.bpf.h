/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared plumbing of every unit: sizes and flag encodings, every global userspace sets or reads
 * (the skeleton's rodata and bss, and the maps the loader touches), the per-task state, the busy
 * flag, the ring buffer's reserve/submit, drop counting, and the raw context reads that are not
 * architecture-specific.
 */
#pragma once

#define MR_MAX_FILTERS 16
#define MR_TASK_LOCKS 16 /* held locks tracked per task */
#define LOCK_IDX_MASK (MR_TASK_LOCKS - 1) /* MR_TASK_LOCKS is a power of two */
#define MR_TRY_DEPTH 4 /* nested pending trylock calls per task (power of two) */

/*
 * Lock families, kept in task_lock.flags above LOCK_FAM_SHIFT: a release only pops a lock of its
 * own family. On PREEMPT_RT a mutex, an rt_mutex and a spinlock_t all begin with the raw
 * wait_lock of their rt_mutex_base, so `&mutex == &mutex->rtmutex.wait_lock`: without the
 * family, the raw_spin_unlock of the wait_lock could pop the mutex itself (whose contended
 * acquisition then vanishes from the held set).
 */
#define LOCK_FAM_SHIFT 8
#define LOCK_FAM_MUTEX 1
#define LOCK_FAM_SPIN 2
#define LOCK_FAM_RWLOCK 3
#define LOCK_FAM_RWSEM 4
#define LOCK_FAM_SRCU 5 /* an SRCU read side, keyed by its srcu_struct */
#define LOCK_FAM_RT 8 /* PREEMPT_RT's sleeping spinlock_t / rwlock_t */
#define LOCK_FLAGS_OUT 0xff /* the flags userspace sees (MR_HELD_*) */
_Static_assert((MR_TASK_LOCKS & LOCK_IDX_MASK) == 0, "MR_TASK_LOCKS must be a power of two");

#define SOFTIRQ_OFFSET 0x100u
#define HARDIRQ_MASK 0x000f0000u
#define NMI_MASK 0x00f00000u

/* ======== userspace-visible: the loader sets or reads all of these through the skeleton ======== */

/* ---- configuration: rodata set by the loader before load ---- */
const volatile __u32 cfg_lock_provider = MR_LOCKS_PROBE;
const volatile __u32 cfg_nr_filters = 0; /* module names in module_filter */
const volatile __u64 cfg_module_notify_list = 0; /* &module_notify_list, 0 unknown */
/* lockdep kernels: rcu_lock_map, rcu_bh_lock_map, rcu_sched_lock_map (0 unknown). RCU read sides
 * are lockdep "locks", but modrace reports them as the RCU depth; BPF's own program runner
 * holds rcu_read_lock too, so they are left out of the held set and the unload lockset. */
const volatile __u64 cfg_rcu_maps[3] = {};
/* Refcount records wake the reader only once this many bytes wait in the ring (0: every record);
 * the reader also drains the ring at every poll timeout (Tracer::poll). See submit_batched(). */
const volatile __u64 cfg_wakeup_bytes = 0;

/* ---- calibration (bss): the loader sets calib_tid, makes getppid(), reads calib_*, then
 *      writes base_* which every lock context subtracts ---- */
__u32 calib_tid = 0;
__u32 calib_preempt[MR_CTX_MAX] = {};
__u32 calib_rcu[MR_CTX_MAX] = {};
__u32 calib_hits[MR_CTX_MAX] = {};
__u32 base_preempt[MR_CTX_MAX] = {};
__u32 base_rcu[MR_CTX_MAX] = {};

/* ---- state and counters (bss), read by the loader while tracing ---- */

/*
 * Drop counters by cause, in .bss: userspace reads them through the skeleton's mmap, with no
 * syscall. A map lookup from userspace would raise the kernel's per-CPU bpf_prog_active for its
 * duration, and every kprobe program hit on that CPU meanwhile (another task, when the syscall is
 * preempted) would be skipped: reading the counters once a second lost refcount events on
 * PREEMPT_RT.
 */
__u64 drop_counts[MR_DROP_CAUSE_MAX] = {};

/* Set by userspace before it detaches: the lock probes stop doing work first, so detaching (which
 * patches the lock functions they sit on) does not race with their bookkeeping. */
__u32 tracing_stopped = 0;

/* Lock-table overflows by lock kind (diagnostics for -v). */
__u64 overflow_kind[8] = {};

/* Tasks it_task_states (lock_probes.bpf.h) could not give a lock state. */
__u32 precreate_failed = 0;

/* ---- maps the loader touches ---- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader (--ringbuf-size) */
} events SEC(".maps");

struct module_name {
	char name[MR_MODULE_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MR_MAX_FILTERS);
	__type(key, struct module_name);
	__type(value, __u8);
} module_filter SEC(".maps");

/* ======== internal ======== */

/*
 * Set while one of our programs runs a helper that takes kernel locks itself, to the tid + 1 of
 * the task running it: where fentry programs are preemptible (PREEMPT_RT, preempt=full/lazy),
 * another task can run on this CPU while the flag is up, and its locks must still be tracked.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} busy SEC(".maps");

struct task_lock {
	__u64 addr;
	__u64 ip;
	__u32 kind;
	__u32 flags;
};

/* A refcount or driver operation between its entry and exit probes. */
struct pending_op {
	__u64 obj; /* module or driver */
	__u64 caller_ip;
	__u32 kind;
	__u32 valid;
	__u32 widen; /* enum mr_widen, set by the widen programs (bpf/widen.bpf.h) before entry */
	__u32 widen_us;
	struct mr_lock_ctx ctx;
};

struct task_state {
	__u32 nr;
	__u32 pop_at; /* lock_pop's found entry, through memory for the verifier (see there) */
	/* kprobe flavour: locks of pending trylock/killable calls, innermost last. They nest: on
	 * PREEMPT_RT a blocking mutex_lock_killable runs rt_mutex code that trylocks wait_locks. */
	__u32 try_depth;
	__u32 switch_kept; /* tp_sched_switch's count of kept entries, through memory (see there) */
	__u64 try_addr[MR_TRY_DEPTH];
	struct task_lock locks[MR_TASK_LOCKS];
	struct pending_op ref; /* try_module_get / __module_get / module_put */
	struct pending_op drv; /* driver_register / driver_unregister (kprobe flavour) */
	__u64 delete_name_ptr; /* delete_module's user pointer (kprobe flavour) */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} task_states SEC(".maps");

/* ---- helpers ---- */

static __always_inline void count_drop(__u32 cause)
{
	if (cause < MR_DROP_CAUSE_MAX)
		__sync_fetch_and_add(&drop_counts[cause], 1);
}

static __always_inline __u32 *busy_flag(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&busy, &zero);
}

static __always_inline __u32 busy_token(void)
{
	return (__u32)bpf_get_current_pid_tgid() + 1;
}

/* Raise the busy flag for the current task; NULL when the map cannot be read. */
static __always_inline __u32 *busy_raise(void)
{
	__u32 *b = busy_flag();

	if (b)
		*b = busy_token();
	return b;
}

static __always_inline void busy_drop(__u32 *b)
{
	if (b)
		*b = 0;
}

/* ---- the context at an event (the preempt count itself is in the arch unit) ---- */

static __always_inline __u32 raw_rcu_depth(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	if (bpf_core_field_exists(t->rcu_read_lock_nesting))
		return (__u32)BPF_CORE_READ(t, rcu_read_lock_nesting);
	return 0;
}

static __always_inline int in_irq_context(__u32 pc)
{
	return (pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET)) != 0;
}

/*
 * Tasks whose lock state could not be created when they took a lock or were snapshotted (the
 * helper gives no reason; seen for a task started while recording): a lock they took may
 * be missing from their state, so every later snapshot of theirs is marked truncated
 * (lock_state_lost) and only their own gets become unverified, not every lock verdict.
 * Never cleared: a reused tid is judged as carefully. Not an LRU: an evicted mark would be a silent
 * loss; when the map is full the loss is counted as every lock verdict's (task_storage).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} lock_state_lost SEC(".maps");

static __always_inline int lock_state_was_lost(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(&lock_state_lost, &tid) != 0;
}

/* The task's lock state; created only when `create` (see modrace.bpf.c's file comment). */
static __always_inline struct task_state *task_state(int create)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct task_state *s = bpf_task_storage_get(&task_states, t, 0, 0);
	__u32 *b;

	if (s || !create)
		return s;
	b = busy_raise();
	if (!b)
		return 0;
	s = bpf_task_storage_get(&task_states, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		__u8 one = 1;

		/* Marked: a loss of this task's alone. Unmarked: of every lock verdict. */
		count_drop(bpf_map_update_elem(&lock_state_lost, &tid, &one, BPF_ANY)
				   ? MR_DROP_TASK_STORAGE
				   : MR_DROP_TASK_STORAGE_MARKED);
	}
	busy_drop(b);
	return s;
}

/* The bytes of record `e` before its stack: where its frames go (modrace_abi.h's rules). */
#define BEFORE_FRAMES(e) __builtin_offsetof(typeof(*(e)), frames)

/* The record's stack, at `before` bytes into it (the record's tail). Sets its size and returns
 * it, known to the verifier as bounded (a size read back from memory would not be). */
static __always_inline __u32 fill_stack(void *ctx, struct mr_event_header *h, __u32 before)
{
	__u32 size;
	long n = bpf_get_stack(ctx, (void *)h + before, MR_MAX_STACK_DEPTH * sizeof(__u64), 0);

	if (n < 0) {
		count_drop(MR_DROP_STACK);
		n = 0;
	}
	if (n > MR_MAX_STACK_DEPTH * sizeof(__u64))
		n = MR_MAX_STACK_DEPTH * sizeof(__u64);
	n /= sizeof(__u64);
	size = before + n * sizeof(__u64);
	h->nr_frames = n;
	h->size = size;
	return size;
}

/* Everything but the time and the stack. */
static __always_inline void fill_task(struct mr_event_header *h, __u16 kind)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	h->flags = 0;
	h->pad = 0;
}

/* `size`: the record's bytes before its stack (BEFORE_FRAMES), or all of them without one. */
static __always_inline void fill_header(void *ctx, struct mr_event_header *h, __u16 kind,
					__u32 size, int stack)
{
	fill_task(h, kind);
	h->ts_ns = bpf_ktime_get_ns();
	h->nr_frames = 0;
	h->size = size;
	if (stack)
		fill_stack(ctx, h, size);
}

/* Ring buffer reservation with the busy flag up: the reservation takes rb->spinlock. */
static __always_inline void *reserve(__u64 size)
{
	__u32 *b = busy_raise();
	void *e;

	if (!b)
		return 0;
	e = bpf_ringbuf_reserve(&events, size, 0);
	busy_drop(b);
	if (!e)
		count_drop(MR_DROP_RINGBUF_FULL);
	return e;
}

/* Lifecycle and other low-rate records: the reader is woken at once. */
static __always_inline void submit(void *e)
{
	__u32 *b = busy_raise();

	bpf_ringbuf_submit(e, 0);
	busy_drop(b);
}

/*
 * For the high-rate records (refcount operations): a wakeup per record is an irq_work, a
 * reader wakeup and a context switch, a large share of the per-event cost when the reader keeps
 * up. They wake it only when a batch (cfg_wakeup_bytes) is waiting; the reader drains the ring at
 * every poll timeout anyway. The record, built in a scratch buffer, is copied into the ring at
 * its own size (hdr.size): a reservation's size must be known when the program is verified.
 * Its place in the ring, the order the analyzer reads it in, is taken here.
 */
static __always_inline void output_batched(struct mr_event_header *h, __u32 size)
{
	__u64 flags = 0;
	__u32 *b;
	long err;

	if (cfg_wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes
				? BPF_RB_FORCE_WAKEUP
				: BPF_RB_NO_WAKEUP;
	b = busy_raise();
	if (!b)
		return;
	err = bpf_ringbuf_output(&events, h, size, flags);
	busy_drop(b);
	if (err)
		count_drop(MR_DROP_RINGBUF_FULL);
}

/* One of lockdep's RCU read-side maps (cfg_rcu_maps). */
static __always_inline int is_rcu_map(__u64 lock)
{
	return lock &&
	       (lock == cfg_rcu_maps[0] || lock == cfg_rcu_maps[1] || lock == cfg_rcu_maps[2]);
}

/* A run of ours nested in one of our own helpers (busy flag), or tracing is stopping. */
static __always_inline int nested(void)
{
	__u32 *b = busy_flag();

	return !b || *b == busy_token() || tracing_stopped;
}
