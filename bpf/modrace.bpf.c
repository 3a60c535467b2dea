// SPDX-License-Identifier: GPL-2.0-only
/*
 * modrace's kernel side: module lifecycle, refcount operations, delete_module, driver
 * (un)registration, and the held-lock set of the task at each of them.
 *
 * Most attach points come in two flavours: fentry/fexit (fe_X/fx_X) and kprobe/kretprobe
 * (kp_X/kr_X). The loader (userspace/loader/probes.cpp) keeps one flavour per attach point and
 * disables the other before load. Refcount operations are kprobes only: the caller's return
 * address (regs->sp) and the interrupt flag (regs->flags) are only visible there. Nothing here
 * attaches fentry/fexit to module code (that would pin the module).
 *
 * Lock tracking (provider "probe"): the lock primitives push/pop a per-task table kept in task
 * storage. The BPF machinery takes locks of its own (ring buffer spinlock, task storage creation);
 * those nested runs are recognised by a per-CPU busy flag (holding the task that raised it) and
 * ignored. Storage is never created from
 * the irqsave/irqrestore programs, because creation takes irqsave locks and the kernel would count
 * the self-recursion as a miss.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "modrace_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define MR_MAX_FILTERS 16
#define MR_TASK_LOCKS 16	/* held locks tracked per task */
#define LOCK_IDX_MASK (MR_TASK_LOCKS - 1) /* MR_TASK_LOCKS is a power of two */
#define MR_TRY_DEPTH 4	/* nested pending trylock calls per task (power of two) */

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
#define LOCK_FAM_RT 8 /* PREEMPT_RT's sleeping spinlock_t / rwlock_t */
#define LOCK_FLAGS_OUT 0xff /* the flags userspace sees (MR_HELD_*) */
_Static_assert((MR_TASK_LOCKS & LOCK_IDX_MASK) == 0, "MR_TASK_LOCKS must be a power of two");
#define MR_UNLOAD_LOCKS 16384	/* distinct locks remembered across concurrent unloads (rmmod
				   loop alone takes ~600: per-object dentry and xarray locks) */
#define MR_UNLOAD_FRAMES 12	/* frames kept per remembered unload lock */
#define PREEMPT_NEED_RESCHED 0x80000000u
#define SOFTIRQ_OFFSET 0x100u
#define HARDIRQ_MASK 0x000f0000u
#define NMI_MASK 0x00f00000u
#define X86_EFLAGS_IF 0x200ul

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

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader (--ringbuf-size) */
} events SEC(".maps");

/*
 * Drop counters by cause, in .bss: userspace reads them through the skeleton's mmap, with no
 * syscall. A map lookup from userspace would raise the kernel's per-CPU bpf_prog_active for its
 * duration, and every kprobe program hit on that CPU meanwhile (another task, when the syscall is
 * preempted) would be skipped: reading the counters once a second lost refcount events on
 * PREEMPT_RT.
 */
__u64 drop_counts[MR_DROP_CAUSE_MAX] = {};

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

struct module_name {
	char name[MR_MODULE_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MR_MAX_FILTERS);
	__type(key, struct module_name);
	__type(value, __u8);
} module_filter SEC(".maps");

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
	struct mr_lock_ctx ctx;
};

struct task_state {
	__u32 nr;
	__u32 pad;
	/* kprobe flavour: locks of pending trylock/killable calls, innermost last. They nest: on
	 * PREEMPT_RT a blocking mutex_lock_killable runs rt_mutex code that trylocks wait_locks. */
	__u32 try_depth;
	__u32 pad2;
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

/* Refcount operations in interrupt context cannot use the interrupted task's state. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending_op);
} irq_pending SEC(".maps");

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
	__u32 pad;
	char name[MR_MODULE_NAME_LEN];
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

/* Per-CPU scratch for building a record (too big for the BPF stack with its frames). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unload_lock_rec);
} unload_scratch SEC(".maps");

__u64 unload_seq = 0;

/* Lockdep class keys whose name was emitted (MR_REC_LOCK_CLASS), lockdep provider only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u8);
} lock_classes SEC(".maps");

/* Set by userspace before it detaches: the lock probes stop doing work first, so detaching (which
 * patches the lock functions they sit on) does not race with their bookkeeping. */
__u32 tracing_stopped = 0;

/* ---- kernel layout flavours (CO-RE) ---- */

/* >= 6.4: module memory regions replace core_layout/init_layout. */
struct module_memory___new {
	void *base;
	unsigned int size;
} __attribute__((preserve_access_index));

enum mod_mem_type___new {
	MOD_TEXT___new = 0,
	MOD_INIT_TEXT___new = 4,
};

struct module___new {
	struct module_memory___new mem[7];
} __attribute__((preserve_access_index));

/* Lockdep kernels. */
struct lockdep_map___ld {
	void *key;
	const char *name;
} __attribute__((preserve_access_index));

struct held_lock___ld {
	__u64 prev_chain_key;
	unsigned long acquire_ip;
	struct lockdep_map___ld *instance;
	unsigned int read : 2; /* 0 exclusive, 1 shared, 2 shared recursive */
} __attribute__((preserve_access_index));

struct task_struct___ld {
	int lockdep_depth;
	struct held_lock___ld held_locks[48];
} __attribute__((preserve_access_index));

/* x86 preempt count: a per-CPU int up to 6.1 and again from 6.15, in pcpu_hot in between. */
extern const int __preempt_count __ksym __weak;
struct pcpu_hot {
	struct task_struct *current_task;
	int preempt_count;
} __attribute__((preserve_access_index));
extern const struct pcpu_hot pcpu_hot __ksym __weak;

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

/* The task's lock state; created only when `create` (see the file comment). */
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
	busy_drop(b);
	if (!s)
		count_drop(MR_DROP_TASK_STORAGE);
	return s;
}

static __always_inline void fill_header(void *ctx, struct mr_event_header *h, __u16 kind, __u16 size,
					int stack)
{
	__u64 id = bpf_get_current_pid_tgid();
	long n;

	h->kind = kind;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	h->nr_frames = 0;
	if (!stack)
		return;
	n = bpf_get_stack(ctx, h->frames, sizeof(h->frames), 0);
	if (n < 0)
		count_drop(MR_DROP_STACK);
	else
		h->nr_frames = n / sizeof(__u64);
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

static __always_inline void submit_flags(void *e, __u64 flags)
{
	__u32 *b = busy_raise();

	bpf_ringbuf_submit(e, flags);
	busy_drop(b);
}

/* Lifecycle and other low-rate records: the reader is woken at once. */
static __always_inline void submit(void *e)
{
	submit_flags(e, 0);
}

/*
 * For the high-rate records (refcount operations): a wakeup per record is an irq_work, a
 * reader wakeup and a context switch, a large share of the per-event cost when the reader keeps
 * up. They wake it only when a batch (cfg_wakeup_bytes) is waiting; the reader drains the ring at
 * every poll timeout anyway.
 */
static __always_inline void submit_batched(void *e)
{
	__u64 flags = 0;

	if (cfg_wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	submit_flags(e, flags);
}

static __always_inline int is_rcu_map(__u64 lock)
{
	return lock && (lock == cfg_rcu_maps[0] || lock == cfg_rcu_maps[1] || lock == cfg_rcu_maps[2]);
}

/* Emits a lockdep class's name the first time its key is seen (lockdep provider). */
static __noinline int note_lock_class(__u64 key, __u64 lock)
{
	struct lockdep_map___ld *map = (void *)lock;
	struct mr_rec_lock_class *e;
	const char *name;
	__u8 one = 1;
	__u32 *b;
	long err;

	if (!key || !lock || bpf_map_lookup_elem(&lock_classes, &key))
		return 0;
	b = busy_raise();
	err = bpf_map_update_elem(&lock_classes, &key, &one, BPF_NOEXIST);
	busy_drop(b);
	if (err)
		return 0; /* emitted meanwhile, or the table is full (the lock keeps its address) */
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(0, &e->hdr, MR_REC_LOCK_CLASS, sizeof(*e), 0);
	e->key = key;
	e->lock = lock;
	e->name[0] = 0;
	name = BPF_CORE_READ(map, name);
	if (name)
		bpf_probe_read_kernel_str(e->name, sizeof(e->name), name);
	submit(e);
	return 0;
}

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
		struct task_struct___ld *t = (void *)bpf_get_current_task_btf();
		void *base;
		__u32 stride, o_ip, o_inst;
		int depth;

		if (!bpf_core_field_exists(t->held_locks))
			return;
		depth = BPF_CORE_READ(t, lockdep_depth);
		base = (void *)t + bpf_core_field_offset(t->held_locks);
		stride = bpf_core_type_size(struct held_lock___ld);
		o_ip = bpf_core_field_offset(struct held_lock___ld, acquire_ip);
		o_inst = bpf_core_field_offset(struct held_lock___ld, instance);
		if (depth > MR_MAX_HELD_LOCKS)
			c->truncated = 1;
		for (i = 0; i < MR_MAX_HELD_LOCKS; i++) {
			struct lockdep_map___ld *inst = 0;
			void *hl = base + (__u64)i * stride;

			if ((int)i >= depth)
				break;
			c->nr_locks = i + 1;
			bpf_probe_read_kernel(&inst, 8, hl + o_inst);
			if (is_rcu_map((__u64)inst))
				continue; /* an empty slot: userspace skips it */
			bpf_probe_read_kernel(&c->locks[i].acquire_ip, 8, hl + o_ip);
			c->locks[i].addr = (__u64)inst;
			c->locks[i].class_key = (__u64)BPF_CORE_READ(inst, key);
			{
				struct held_lock___ld *h = hl;

				c->locks[i].kind = BPF_CORE_READ_BITFIELD_PROBED(h, read)
							   ? MR_LOCK_LOCKDEP_READ : MR_LOCK_LOCKDEP;
			}
			note_lock_class(c->locks[i].class_key, (__u64)inst);
		}
		return;
	}
	if (cfg_lock_provider != MR_LOCKS_PROBE)
		return;
	s = task_state(1);
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

static __always_inline void read_module_name(struct module *mod, char *dst)
{
	bpf_probe_read_kernel_str(dst, MR_MODULE_NAME_LEN, BPF_CORE_READ(mod, name));
}

static __always_inline int module_wanted(struct module *mod)
{
	struct module_name key = {};

	if (cfg_nr_filters == 0)
		return 1;
	/* mod->name is a zero-padded char[56]: read it whole so it matches the padded keys. */
	bpf_probe_read_kernel(&key.name, sizeof(key.name), &mod->name);
	return bpf_map_lookup_elem(&module_filter, &key) != 0;
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

/* ---- calibration ---- */

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
SEC("kprobe/__x64_sys_getppid")
int BPF_KPROBE(kp_calib_kp)
{
	return calibrate(MR_CTX_KPROBE);
}

SEC("fentry/__x64_sys_delete_module")
int BPF_PROG(fe_calib_fe)
{
	return calibrate(MR_CTX_FENTRY);
}

/* Lock-table overflows by lock kind (diagnostics for -v). */
__u64 overflow_kind[8] = {};

/* ---- module lifecycle ---- */

static __always_inline void emit_state(void *ctx, struct module *mod, __u32 state)
{
	struct mr_ev_module_state *e = reserve(sizeof(*e));

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_MODULE_STATE, sizeof(*e), 1);
	e->module = (__u64)mod;
	e->state = state;
	submit(e);
}

SEC("tp_btf/module_load")
int BPF_PROG(tp_module_load, struct module *mod)
{
	struct mr_ev_module_load *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_MODULE_LOAD, sizeof(*e), 1);
	e->module = (__u64)mod;
	read_module_name(mod, e->name);
	if (bpf_core_field_exists(mod->core_layout)) {
		e->core_text_start = (__u64)BPF_CORE_READ(mod, core_layout.base);
		e->core_text_size = BPF_CORE_READ(mod, core_layout.text_size);
		e->init_text_start = (__u64)BPF_CORE_READ(mod, init_layout.base);
		e->init_text_size = BPF_CORE_READ(mod, init_layout.text_size);
	} else {
		struct module___new *m = (void *)mod;

		if (bpf_core_field_exists(m->mem) &&
		    bpf_core_enum_value(enum mod_mem_type___new, MOD_TEXT___new) == 0 &&
		    bpf_core_enum_value(enum mod_mem_type___new, MOD_INIT_TEXT___new) == 4) {
			e->core_text_start = (__u64)BPF_CORE_READ(m, mem[0].base);
			e->core_text_size = BPF_CORE_READ(m, mem[0].size);
			e->init_text_start = (__u64)BPF_CORE_READ(m, mem[4].base);
			e->init_text_size = BPF_CORE_READ(m, mem[4].size);
		}
	}
	submit(e);
	/* The tracepoint fires in prepare_coming_module: the module is COMING. */
	emit_state(ctx, mod, MR_MODULE_COMING);
	return 0;
}

/* ---- module symbols (a second program on module_load, attached after tp_module_load) ---- */

#define MR_MOD_RANGES 7		/* >= 6.4: MOD_MEM_NUM_TYPES; <= 6.3: core and init layout */
#define MR_MAX_MODULE_SYMS 65536 /* bound of the walk; modules have a few thousand at most */
#define SHN_UNDEF 0
#define SHN_ABS 0xfff1

/* What one bpf_loop iteration needs: the table and the module's memory. */
struct sym_walk {
	__u64 module;
	Elf64_Sym *symtab;
	char *strtab;
	char *typetab; /* 0 when the kernel has none: type from st_info */
	__u32 nr;
	__u32 nr_ranges;
	__u64 start[MR_MOD_RANGES];
	__u64 end[MR_MOD_RANGES];
};

static __always_inline int wanted_type(char t)
{
	switch (t) {
	case 't': case 'T': case 'd': case 'D': case 'b': case 'B': case 'r': case 'R':
		return 1;
	}
	return 0;
}

static long walk_symbol(__u32 i, void *data)
{
	struct sym_walk *w = data;
	struct mr_rec_module_symbol *e;
	Elf64_Sym sym;
	char type = 0;
	__u32 r;
	int inside = 0;

	if (i >= w->nr)
		return 1;
	if (bpf_probe_read_kernel(&sym, sizeof(sym), &w->symtab[i]))
		return 0;
	/* Undefined symbols carry the address of what they resolved to (simplify_symbols). */
	if (!sym.st_name || !sym.st_value || sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS)
		return 0;
	if (w->typetab) {
		bpf_probe_read_kernel(&type, 1, w->typetab + i);
	} else {
		__u8 st_type = sym.st_info & 0xf, bind = sym.st_info >> 4;

		type = st_type == 2 /* STT_FUNC */ ? 't' : st_type == 1 /* STT_OBJECT */ ? 'd' : 0;
		if (type && bind == 1 /* STB_GLOBAL */)
			type -= 'a' - 'A';
	}
	if (!wanted_type(type))
		return 0;
	for (r = 0; r < MR_MOD_RANGES; r++) {
		if (r >= w->nr_ranges)
			break;
		if (sym.st_value >= w->start[r] && sym.st_value < w->end[r]) {
			inside = 1;
			break;
		}
	}
	if (!inside)
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0; /* counted as ringbuf_full */
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(0, &e->hdr, MR_REC_MODULE_SYMBOL, sizeof(*e), 0);
	e->module = w->module;
	e->addr = sym.st_value;
	e->type = type;
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), w->strtab + sym.st_name);
	submit(e);
	return 0;
}

static __always_inline void add_range(struct sym_walk *w, __u64 base, __u64 size)
{
	__u32 n = w->nr_ranges;

	if (!base || !size || n >= MR_MOD_RANGES)
		return;
	w->start[n] = base;
	w->end[n] = base + size;
	w->nr_ranges = n + 1;
}

/*
 * At module_load the module is COMING: its memory is valid and mod->kallsyms still points at the
 * full symbol table (the init copy; do_init_module switches it to the core-only one). Reading it
 * here, rather than /proc/kallsyms from userspace later, is what keeps the names of a module that
 * is unloaded again before userspace gets to it.
 */
SEC("tp_btf/module_load")
int BPF_PROG(tp_module_syms, struct module *mod)
{
	struct sym_walk w = {};
	struct mod_kallsyms *ks = BPF_CORE_READ(mod, kallsyms);

	if (!ks)
		return 0;
	w.module = (__u64)mod;
	w.symtab = BPF_CORE_READ(ks, symtab);
	w.strtab = BPF_CORE_READ(ks, strtab);
	if (bpf_core_field_exists(ks->typetab))
		w.typetab = BPF_CORE_READ(ks, typetab);
	w.nr = BPF_CORE_READ(ks, num_symtab);
	if (w.nr > MR_MAX_MODULE_SYMS)
		w.nr = MR_MAX_MODULE_SYMS;
	if (!w.symtab || !w.strtab)
		return 0;
	if (bpf_core_field_exists(mod->core_layout)) {
		add_range(&w, (__u64)BPF_CORE_READ(mod, core_layout.base),
			  BPF_CORE_READ(mod, core_layout.size));
		add_range(&w, (__u64)BPF_CORE_READ(mod, init_layout.base),
			  BPF_CORE_READ(mod, init_layout.size));
	} else {
		struct module___new *m = (void *)mod;

		if (bpf_core_field_exists(m->mem)) {
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[0].base), BPF_CORE_READ(m, mem[0].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[1].base), BPF_CORE_READ(m, mem[1].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[2].base), BPF_CORE_READ(m, mem[2].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[3].base), BPF_CORE_READ(m, mem[3].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[4].base), BPF_CORE_READ(m, mem[4].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[5].base), BPF_CORE_READ(m, mem[5].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[6].base), BPF_CORE_READ(m, mem[6].size));
		}
	}
	bpf_loop(w.nr, walk_symbol, &w, 0);
	return 0;
}

SEC("tp_btf/module_free")
int BPF_PROG(tp_module_free, struct module *mod)
{
	struct mr_ev_module_free *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_MODULE_FREE, sizeof(*e), 1);
	e->module = (__u64)mod;
	submit(e);
	return 0;
}

/* LIVE and GOING are announced on module_notify_list. */
static __always_inline int on_notifier(void *ctx, void *nh, unsigned long val, void *v)
{
	if (!cfg_module_notify_list || (__u64)nh != cfg_module_notify_list)
		return 0;
	if (val == MR_MODULE_LIVE || val == MR_MODULE_GOING)
		emit_state(ctx, v, val);
	return 0;
}

SEC("fentry/blocking_notifier_call_chain")
int BPF_PROG(fe_notify, void *nh, unsigned long val, void *v)
{
	return on_notifier(ctx, nh, val, v);
}

SEC("kprobe/blocking_notifier_call_chain")
int BPF_KPROBE(kp_notify, void *nh, unsigned long val, void *v)
{
	return on_notifier(ctx, nh, val, v);
}

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
	if (bpf_map_update_elem(&unloading, &tid, &ut, BPF_ANY))
		count_drop(MR_DROP_LOCK_TABLE); /* more concurrent unloads than entries */
	busy_drop(b);
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_DELETE_MODULE, sizeof(*e), 1);
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
	__u32 *b;

	if (key->seq != c->seq)
		return 0;
	l = reserve(sizeof(*l));
	if (l) {
		__builtin_memset(l, 0, sizeof(*l));
		fill_header(c->ctx, &l->hdr, MR_EV_UNLOAD_LOCK, sizeof(*l), 0);
		l->hdr.ts_ns = r->ts;
		l->hdr.nr_frames = r->nr_frames;
		__builtin_memcpy(l->hdr.frames, r->frames, sizeof(r->frames));
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
	struct unload_emit_ctx c = { .ctx = ctx };

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
		fill_header(ctx, &e->hdr, MR_EV_DELETE_MODULE, sizeof(*e), 0);
		e->phase = MR_PHASE_EXIT;
		e->ret = ret;
		if (ut)
			__builtin_memcpy(e->name, ut->name, sizeof(e->name));
		submit(e);
	}
	if (ut) {
		__u32 *b = busy_raise();

		bpf_map_delete_elem(&unloading, &tid);
		busy_drop(b);
	}
	return 0;
}

SEC("fentry/__x64_sys_delete_module")
int BPF_PROG(fe_delete_module, struct pt_regs *regs)
{
	return delete_enter(ctx, regs);
}

SEC("fexit/__x64_sys_delete_module")
int BPF_PROG(fx_delete_module, struct pt_regs *regs, long ret)
{
	return delete_exit(ctx, ret);
}

SEC("kprobe/__x64_sys_delete_module")
int BPF_KPROBE(kp_delete_module, struct pt_regs *regs)
{
	return delete_enter(ctx, regs);
}

SEC("kretprobe/__x64_sys_delete_module")
int BPF_KRETPROBE(kr_delete_module, long ret)
{
	return delete_exit(ctx, ret);
}

/* Remembers a lock taken while the task is inside delete_module, once per lock and unload. */
static __always_inline void unload_note(void *ctx, __u64 addr, __u64 ip, __u32 kind, __u64 class_key)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct unload_task *ut = bpf_map_lookup_elem(&unloading, &tid);
	struct unload_lock_key key = {};
	struct unload_lock_rec *r;
	__u32 zero = 0, *b;
	long got, err;

	if (!ut)
		return;
	key.seq = ut->seq;
	key.addr = addr;
	key.kind = kind;
	if (bpf_map_lookup_elem(&unload_locks, &key))
		return;
	r = bpf_map_lookup_elem(&unload_scratch, &zero);
	b = busy_flag();
	if (!r || !b)
		return;
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
	if (err && err != -17 /* -EEXIST: noted meanwhile */)
		ut->lost++;
}

/*
 * The first release of a lock by an unloading task restamps its record. The acquire probes fire
 * at entry, before a contended lock is actually obtained: an unload blocked on a lock that an open
 * path holds would otherwise look as if it had taken the lock before that open path's get (a
 * false get-while-going). By its first release the unload certainly held it.
 */
static __always_inline struct unload_task *current_unload(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(&unloading, &tid);
}

/* `ut`: the calling task's unload (current_unload()), looked up once per release. */
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

static __always_inline int on_rcu_sync(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mr_ev_unload_rcu_sync *e;

	if (!bpf_map_lookup_elem(&unloading, &tid))
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_UNLOAD_RCU_SYNC, sizeof(*e), 1);
	/* Innermost real frame after the BPF frames is found by userspace; keep the function. */
	e->ip = bpf_get_func_ip(ctx);
	submit(e);
	return 0;
}

#define RCU_SYNC(fn)                                                                              \
	SEC("fentry/" #fn) int BPF_PROG(fe_##fn) { return on_rcu_sync(ctx); }                     \
	SEC("kprobe/" #fn) int BPF_KPROBE(kp_##fn) { return on_rcu_sync(ctx); }

RCU_SYNC(synchronize_rcu)
RCU_SYNC(synchronize_rcu_expedited)
RCU_SYNC(synchronize_srcu)
RCU_SYNC(rcu_barrier)

/* ---- refcount operations (kprobes: see the file comment) ---- */

static __always_inline struct pending_op *pending_slot(int *in_irq)
{
	__u32 pc = raw_preempt_count(), zero = 0;
	struct task_state *s;

	*in_irq = in_irq_context(pc);
	if (*in_irq)
		return bpf_map_lookup_elem(&irq_pending, &zero);
	s = task_state(1);
	return s ? &s->ref : 0;
}

static __always_inline int ref_enter(struct pt_regs *regs, struct module *mod, __u32 kind)
{
	struct pending_op *p;
	int in_irq;

	/* try_module_get(NULL) succeeds without touching anything: not an event. */
	if (!mod || !module_wanted(mod))
		return 0;
	p = pending_slot(&in_irq);
	if (!p)
		return 0;
	p->obj = (__u64)mod;
	p->caller_ip = kprobe_caller(regs);
	p->kind = kind;
	p->valid = 1;
	capture_ctx(&p->ctx, MR_CTX_KPROBE, kprobe_irqs_off(regs));
	return 0;
}

static __always_inline int ref_exit(struct pt_regs *regs, __u32 kind, int success)
{
	struct mr_ev_refcount *e;
	struct pending_op *p;
	struct module *mod;
	int in_irq, cnt = -1;

	p = pending_slot(&in_irq);
	if (!p || !p->valid || p->kind != kind)
		return 0;
	p->valid = 0;
	mod = (struct module *)p->obj;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	/* The raw counter: MODULE_REF_BASE (1) is a live module with no users, 0 one that
	 * try_stop_module has claimed; -1 stays free to mean "unknown". Read before the timestamp
	 * is taken, so that whatever the value shows (a delete_module that claimed the base, say)
	 * is ordered before this event: under emulation a vCPU can stall between the two. */
	if (bpf_probe_read_kernel(&cnt, sizeof(cnt), &mod->refcnt.counter))
		cnt = -1;
	fill_header(regs, &e->hdr, kind, sizeof(*e), 1);
	e->module = p->obj;
	e->caller_ip = p->caller_ip;
	e->refcount = cnt;
	e->success = success;
	__builtin_memcpy(&e->locks, &p->ctx, sizeof(e->locks));
	submit_batched(e);
	return 0;
}

SEC("kprobe/try_module_get")
int BPF_KPROBE(kp_try_module_get, struct module *mod)
{
	return ref_enter(ctx, mod, MR_EV_TRY_MODULE_GET);
}

SEC("kretprobe/try_module_get")
int BPF_KRETPROBE(kr_try_module_get, int ret)
{
	return ref_exit(ctx, MR_EV_TRY_MODULE_GET, (__u8)ret != 0);
}

SEC("kprobe/__module_get")
int BPF_KPROBE(kp___module_get, struct module *mod)
{
	return ref_enter(ctx, mod, MR_EV_MODULE_GET);
}

SEC("kretprobe/__module_get")
int BPF_KRETPROBE(kr___module_get)
{
	return ref_exit(ctx, MR_EV_MODULE_GET, 1);
}

SEC("kprobe/module_put")
int BPF_KPROBE(kp_module_put, struct module *mod)
{
	return ref_enter(ctx, mod, MR_EV_MODULE_PUT);
}

SEC("kretprobe/module_put")
int BPF_KRETPROBE(kr_module_put)
{
	return ref_exit(ctx, MR_EV_MODULE_PUT, 1);
}

/* ---- driver_register / driver_unregister ---- */

static __always_inline void fill_driver(struct mr_ev_driver *e, struct device_driver *drv)
{
	e->driver = (__u64)drv;
	e->owner = (__u64)BPF_CORE_READ(drv, owner);
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(drv, name));
	bpf_probe_read_kernel_str(e->bus, sizeof(e->bus), BPF_CORE_READ(drv, bus, name));
}

static __always_inline int drv_emit(void *ctx, __u32 kind, __u32 phase, struct device_driver *drv,
				    int ret, __u32 probe_ctx, int irqs_off)
{
	struct mr_ev_driver *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, kind, sizeof(*e), 1);
	fill_driver(e, drv);
	e->phase = phase;
	e->ret = ret;
	if (phase == MR_PHASE_ENTER)
		capture_ctx(&e->locks, probe_ctx, irqs_off);
	else
		e->locks.provider = cfg_lock_provider;
	submit(e);
	return 0;
}

SEC("fentry/driver_register")
int BPF_PROG(fe_driver_register, struct device_driver *drv)
{
	return drv_emit(ctx, MR_EV_DRIVER_REGISTER, MR_PHASE_ENTER, drv, 0, MR_CTX_FENTRY, 0);
}

SEC("fexit/driver_register")
int BPF_PROG(fx_driver_register, struct device_driver *drv, int ret)
{
	return drv_emit(ctx, MR_EV_DRIVER_REGISTER, MR_PHASE_EXIT, drv, ret, MR_CTX_FENTRY, 0);
}

SEC("fentry/driver_unregister")
int BPF_PROG(fe_driver_unregister, struct device_driver *drv)
{
	return drv_emit(ctx, MR_EV_DRIVER_UNREGISTER, MR_PHASE_ENTER, drv, 0, MR_CTX_FENTRY, 0);
}

SEC("fexit/driver_unregister")
int BPF_PROG(fx_driver_unregister, struct device_driver *drv)
{
	return drv_emit(ctx, MR_EV_DRIVER_UNREGISTER, MR_PHASE_EXIT, drv, 0, MR_CTX_FENTRY, 0);
}

static __always_inline int drv_kprobe_enter(struct pt_regs *regs, __u32 kind, struct device_driver *drv)
{
	struct task_state *s = task_state(1);

	if (s) {
		s->drv.obj = (__u64)drv;
		s->drv.kind = kind;
		s->drv.valid = 1;
	}
	return drv_emit(regs, kind, MR_PHASE_ENTER, drv, 0, MR_CTX_KPROBE, kprobe_irqs_off(regs));
}

static __always_inline int drv_kprobe_exit(struct pt_regs *regs, __u32 kind, int ret)
{
	struct task_state *s = task_state(0);

	if (!s || !s->drv.valid || s->drv.kind != kind)
		return 0;
	s->drv.valid = 0;
	return drv_emit(regs, kind, MR_PHASE_EXIT, (void *)s->drv.obj, ret, MR_CTX_KPROBE, 0);
}

SEC("kprobe/driver_register")
int BPF_KPROBE(kp_driver_register, struct device_driver *drv)
{
	return drv_kprobe_enter(ctx, MR_EV_DRIVER_REGISTER, drv);
}

SEC("kretprobe/driver_register")
int BPF_KRETPROBE(kr_driver_register, int ret)
{
	return drv_kprobe_exit(ctx, MR_EV_DRIVER_REGISTER, ret);
}

SEC("kprobe/driver_unregister")
int BPF_KPROBE(kp_driver_unregister, struct device_driver *drv)
{
	return drv_kprobe_enter(ctx, MR_EV_DRIVER_UNREGISTER, drv);
}

SEC("kretprobe/driver_unregister")
int BPF_KRETPROBE(kr_driver_unregister)
{
	return drv_kprobe_exit(ctx, MR_EV_DRIVER_UNREGISTER, 0);
}

/* ---- lock primitives (provider "probe") ---- */

static __always_inline int nested(void)
{
	__u32 *b = busy_flag();

	return !b || *b == busy_token() || tracing_stopped;
}

static __always_inline __u32 lock_family(__u32 kind, __u32 flags)
{
	__u32 rt = (flags & MR_HELD_RT) ? LOCK_FAM_RT : 0;

	switch (kind) {
	case MR_LOCK_MUTEX: return LOCK_FAM_MUTEX;
	case MR_LOCK_SPINLOCK: return LOCK_FAM_SPIN | rt;
	case MR_LOCK_RWLOCK_READ:
	case MR_LOCK_RWLOCK_WRITE: return LOCK_FAM_RWLOCK | rt;
	default: return LOCK_FAM_RWSEM;
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
				__sync_fetch_and_add(&overflow_kind[s->locks[MR_TASK_LOCKS - 1].kind], 1);
		}
	}
	unload_note(ctx, addr, ip, kind, 0);
}

static __always_inline void lock_pop(__u64 addr, __u32 family)
{
	struct task_state *s;
	__u32 i, j, k, n, found = MR_TASK_LOCKS;

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
	unload_released(current_unload(), addr, s->locks[found & LOCK_IDX_MASK].kind);
	/* Close the gap: the entries above it move down one. No branch on `found` itself. */
	for (k = 0; k + 1 < MR_TASK_LOCKS; k++) {
		j = found + k;
		if (j + 1 >= n)
			break;
		s->locks[j & LOCK_IDX_MASK] = s->locks[(j + 1) & LOCK_IDX_MASK];
	}
	s->nr = n - 1;
}

static __always_inline __u64 lock_caller(struct pt_regs *regs)
{
	return kprobe_caller(regs);
}

/*
 * Every task alive at start-up gets its lock state before the lock probes attach (the loader runs
 * this iterator until none is missing). Created on demand instead, from inside the probes, a
 * burst of tasks all taking their first lock at once empties the storage allocator's per-CPU
 * cache (PREEMPT_RT refills it only from a kthread) and those first locks would be lost.
 */
__u32 precreate_failed = 0;

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
#define LOCK_ACQ(fn, kind, flags, create)                                                         \
	SEC("fentry/" #fn)                                                                        \
	int BPF_PROG(fe_##fn, void *lock)                                                         \
	{                                                                                         \
		lock_push(ctx, (__u64)lock, 0, kind, flags, create);                              \
		return 0;                                                                         \
	}                                                                                         \
	SEC("kprobe/" #fn)                                                                        \
	int BPF_KPROBE(kp_##fn, void *lock)                                                       \
	{                                                                                         \
		lock_push(ctx, (__u64)lock, lock_caller(ctx), kind, flags, create);               \
		return 0;                                                                         \
	}

/* Acquire that can fail: pushed at exit when `ret == ok` (1 for trylocks, 0 for killable). */
#define LOCK_TRY(fn, kind, ok, flags)                                                      \
	SEC("fexit/" #fn)                                                                         \
	int BPF_PROG(fx_##fn, void *lock, int ret)                                                \
	{                                                                                         \
		if (ret == ok)                                                                    \
			lock_push(ctx, (__u64)lock, 0, kind, flags, 1);                           \
		return 0;                                                                         \
	}                                                                                         \
	SEC("kprobe/" #fn)                                                                        \
	int BPF_KPROBE(kp_##fn, void *lock)                                                       \
	{                                                                                         \
		try_enter((__u64)lock);                                                           \
		return 0;                                                                         \
	}                                                                                         \
	SEC("kretprobe/" #fn)                                                                     \
	int BPF_KRETPROBE(kr_##fn, int ret)                                                       \
	{                                                                                         \
		__u64 lock = try_exit();                                                          \
		if (lock && ret == ok)                                                            \
			lock_push(ctx, lock, 0, kind, flags, 0);                                  \
		return 0;                                                                         \
	}

/* Release of a lock of `family` (LOCK_FAM_*). */
#define LOCK_REL(fn, family)                                                                      \
	SEC("fentry/" #fn)                                                                        \
	int BPF_PROG(fe_##fn, void *lock)                                                         \
	{                                                                                         \
		lock_pop((__u64)lock, family);                                                    \
		return 0;                                                                         \
	}                                                                                         \
	SEC("kprobe/" #fn)                                                                        \
	int BPF_KPROBE(kp_##fn, void *lock)                                                       \
	{                                                                                         \
		lock_pop((__u64)lock, family);                                                    \
		return 0;                                                                         \
	}

LOCK_ACQ(mutex_lock, MR_LOCK_MUTEX, 0, 1)
LOCK_TRY(mutex_lock_interruptible, MR_LOCK_MUTEX, 0, 0)
LOCK_TRY(mutex_lock_killable, MR_LOCK_MUTEX, 0, 0)
LOCK_TRY(mutex_trylock, MR_LOCK_MUTEX, 1, 0)
LOCK_REL(mutex_unlock, LOCK_FAM_MUTEX)

LOCK_ACQ(_raw_spin_lock, MR_LOCK_SPINLOCK, 0, 1)
LOCK_ACQ(_raw_spin_lock_irq, MR_LOCK_SPINLOCK, MR_HELD_IRQ, 1)
LOCK_ACQ(_raw_spin_lock_irqsave, MR_LOCK_SPINLOCK, MR_HELD_IRQ, 0)
LOCK_ACQ(_raw_spin_lock_bh, MR_LOCK_SPINLOCK, MR_HELD_BH, 1)
LOCK_TRY(_raw_spin_trylock, MR_LOCK_SPINLOCK, 1, 0)
LOCK_REL(_raw_spin_unlock, LOCK_FAM_SPIN)
LOCK_REL(_raw_spin_unlock_irq, LOCK_FAM_SPIN)
LOCK_REL(_raw_spin_unlock_irqrestore, LOCK_FAM_SPIN)
LOCK_REL(_raw_spin_unlock_bh, LOCK_FAM_SPIN)

LOCK_ACQ(_raw_read_lock, MR_LOCK_RWLOCK_READ, 0, 1)
LOCK_ACQ(_raw_read_lock_irq, MR_LOCK_RWLOCK_READ, MR_HELD_IRQ, 1)
LOCK_ACQ(_raw_read_lock_irqsave, MR_LOCK_RWLOCK_READ, MR_HELD_IRQ, 0)
LOCK_ACQ(_raw_read_lock_bh, MR_LOCK_RWLOCK_READ, MR_HELD_BH, 1)
LOCK_REL(_raw_read_unlock, LOCK_FAM_RWLOCK)
LOCK_REL(_raw_read_unlock_irq, LOCK_FAM_RWLOCK)
LOCK_REL(_raw_read_unlock_irqrestore, LOCK_FAM_RWLOCK)
LOCK_REL(_raw_read_unlock_bh, LOCK_FAM_RWLOCK)
LOCK_ACQ(_raw_write_lock, MR_LOCK_RWLOCK_WRITE, 0, 1)
LOCK_ACQ(_raw_write_lock_irq, MR_LOCK_RWLOCK_WRITE, MR_HELD_IRQ, 1)
LOCK_ACQ(_raw_write_lock_irqsave, MR_LOCK_RWLOCK_WRITE, MR_HELD_IRQ, 0)
LOCK_ACQ(_raw_write_lock_bh, MR_LOCK_RWLOCK_WRITE, MR_HELD_BH, 1)
LOCK_REL(_raw_write_unlock, LOCK_FAM_RWLOCK)
LOCK_REL(_raw_write_unlock_irq, LOCK_FAM_RWLOCK)
LOCK_REL(_raw_write_unlock_irqrestore, LOCK_FAM_RWLOCK)
LOCK_REL(_raw_write_unlock_bh, LOCK_FAM_RWLOCK)

/* PREEMPT_RT: spinlock_t and rwlock_t are rt_mutex based and sleep (kernel/locking/spinlock_rt.c);
 * the _irq/_irqsave/_bh variants all end in these. Absent on other kernels (not attached). */
LOCK_ACQ(rt_spin_lock, MR_LOCK_SPINLOCK, MR_HELD_RT, 1)
LOCK_TRY(rt_spin_trylock, MR_LOCK_SPINLOCK, 1, MR_HELD_RT)
LOCK_REL(rt_spin_unlock, LOCK_FAM_SPIN | LOCK_FAM_RT)
LOCK_ACQ(rt_read_lock, MR_LOCK_RWLOCK_READ, MR_HELD_RT, 1)
LOCK_TRY(rt_read_trylock, MR_LOCK_RWLOCK_READ, 1, MR_HELD_RT)
LOCK_REL(rt_read_unlock, LOCK_FAM_RWLOCK | LOCK_FAM_RT)
LOCK_ACQ(rt_write_lock, MR_LOCK_RWLOCK_WRITE, MR_HELD_RT, 1)
LOCK_TRY(rt_write_trylock, MR_LOCK_RWLOCK_WRITE, 1, MR_HELD_RT)
LOCK_REL(rt_write_unlock, LOCK_FAM_RWLOCK | LOCK_FAM_RT)

LOCK_ACQ(down_read, MR_LOCK_RWSEM_READ, 0, 1)
LOCK_TRY(down_read_killable, MR_LOCK_RWSEM_READ, 0, 0)
LOCK_TRY(down_read_interruptible, MR_LOCK_RWSEM_READ, 0, 0)
LOCK_TRY(down_read_trylock, MR_LOCK_RWSEM_READ, 1, 0)
LOCK_ACQ(down_write, MR_LOCK_RWSEM_WRITE, 0, 1)
LOCK_TRY(down_write_killable, MR_LOCK_RWSEM_WRITE, 0, 0)
LOCK_TRY(down_write_trylock, MR_LOCK_RWSEM_WRITE, 1, 0)
LOCK_REL(up_read, LOCK_FAM_RWSEM)
LOCK_REL(up_write, LOCK_FAM_RWSEM)

/* A task cannot sleep holding a spinlock or rwlock; the one it holds at a switch (rq->lock) is
 * released by the next task. Forget them so they do not linger in the switched-out task. */
SEC("tp_btf/sched_switch")
int BPF_PROG(tp_sched_switch, bool preempt, struct task_struct *prev)
{
	struct task_state *s;
	__u32 i, j = 0, n;

	if (nested())
		return 0;
	s = bpf_task_storage_get(&task_states, prev, 0, 0);
	if (!s)
		return 0;
	n = s->nr;
	for (i = 0; i < MR_TASK_LOCKS; i++) {
		__u32 k;

		if (i >= n)
			break;
		k = s->locks[i].kind;
		if ((k == MR_LOCK_SPINLOCK || k == MR_LOCK_RWLOCK_READ || k == MR_LOCK_RWLOCK_WRITE) &&
		    !(s->locks[i].flags & MR_HELD_RT))
			continue;
		if (j != i && j < MR_TASK_LOCKS)
			s->locks[j] = s->locks[i];
		j++;
	}
	s->nr = j;
	return 0;
}

/* ---- lockdep kernels: the unload lockset from lock_acquire ---- */

static __always_inline int on_lock_acquire(void *ctx, struct lockdep_map___ld *lock, int read,
					   unsigned long ip)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 key;

	/* nested(): locks our own programs take (the unload lockset's map updates and deletes). */
	if (nested() || is_rcu_map((__u64)lock) || in_irq_context(raw_preempt_count()) ||
	    !bpf_map_lookup_elem(&unloading, &tid))
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

	if (nested() || is_rcu_map((__u64)lock) || in_irq_context(raw_preempt_count()))
		return 0;
	/* Runs on every lock release in the kernel: one lookup, and none past it for the tasks
	 * that are not unloading (all but one). */
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
