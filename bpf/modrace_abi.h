/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event ABI between the BPF programs (bpf/modrace.bpf.c and its units) and userspace
 * (userspace/loader).
 *
 * Rules:
 *  - fixed-width fields only, every struct naturally aligned and padded explicitly;
 *  - every record starts with struct mr_event_header, whose `kind` says which struct follows;
 *  - a record is hdr.size bytes (the ring's record may be longer: reserved at its struct's size);
 *    its kernel stack, if it has one, is its tail: the last hdr.nr_frames 8-byte words. The
 *    structs end with `frames`, room for the deepest stack; only the captured frames are sent;
 *  - MR_ABI_VERSION is bumped on any change (ABI 9 moved the stack from the header to each
 *    record's tail), and userspace static_asserts sizes and offsets (userspace/loader/wire.cpp);
 *    the BPF object and its loader ship in one binary, so no other version is ever read.
 *
 * This is the *wire* format of the ring buffer. The analyzer never sees it: the loader converts
 * each record into the C++ event model (userspace/events/event.h), which the trace file and the
 * analyzer share.
 *
 * Included from BPF after vmlinux.h (which defines __u8.. __u64) and from C++ after <linux/types.h>.
 */
#ifndef MODRACE_ABI_H
#define MODRACE_ABI_H

#define MR_ABI_VERSION 9

#define MR_COMM_LEN 16
#define MR_MODULE_NAME_LEN 56 /* MODULE_NAME_LEN on 64-bit kernels */
#define MR_DRIVER_NAME_LEN 32 /* driver and bus names are truncated to this */
#define MR_UNLOAD_LOST_WHY 5 /* unload_lost_why[]: E2BIG, ENOMEM, EBUSY, other, unloading full */
#define MR_MAX_HELD_LOCKS 8 /* locks captured per snapshot; more sets `truncated` */
#define MR_MAX_STACK_DEPTH 24 /* kernel frames captured per event */
#define MR_SYMBOL_NAME_LEN 128 /* module symbol names are truncated to this (with the NUL) */
#define MR_MAX_WIDEN_SITES 8 /* --widen sites at most */
#define MR_WIDEN_MAX_US \
	50000 /* hard cap of one widened get's delay (fits mr_ev_refcount.widen_us) */
#define MR_WIDEN_BUDGET_US 250000 /* total widening delay per second, all CPUs together */

enum mr_event_kind {
	MR_EV_MODULE_LOAD = 1, /* struct mr_ev_module_load */
	MR_EV_MODULE_STATE = 2, /* struct mr_ev_module_state */
	MR_EV_MODULE_FREE = 3, /* struct mr_ev_module_free */
	MR_EV_DELETE_MODULE = 4, /* struct mr_ev_delete_module (enter and exit phases) */
	MR_EV_TRY_MODULE_GET = 5, /* struct mr_ev_refcount, failed attempts too */
	MR_EV_MODULE_GET = 6, /* struct mr_ev_refcount (__module_get) */
	MR_EV_MODULE_PUT = 7, /* struct mr_ev_refcount */
	MR_EV_DRIVER_REGISTER = 8, /* struct mr_ev_driver (enter and exit phases) */
	MR_EV_DRIVER_UNREGISTER = 9, /* struct mr_ev_driver (enter and exit phases) */
	MR_EV_UNLOAD_LOCK = 10, /* struct mr_ev_unload_lock: a lock taken inside delete_module */
	MR_EV_UNLOAD_RCU_SYNC = 11, /* struct mr_ev_unload_rcu_sync: a grace-period wait inside
					delete_module (synchronize_rcu and friends) */
	MR_EV_KIND_MAX = 12,
	/* Records that are not events of the model (no EventKind): kinds from 64 up. */
	MR_REC_MODULE_SYMBOL = 64, /* struct mr_rec_module_symbol: one symbol of a loading module */
	MR_REC_LOCK_CLASS = 65, /* struct mr_rec_lock_class: a lockdep class's name */
};

enum mr_phase {
	MR_PHASE_ENTER = 0,
	MR_PHASE_EXIT = 1,
};

/* Same values as the kernel's enum module_state. */
enum mr_module_state {
	MR_MODULE_LIVE = 0,
	MR_MODULE_COMING = 1,
	MR_MODULE_GOING = 2,
	MR_MODULE_UNFORMED = 3,
};

enum mr_lock_kind {
	MR_LOCK_MUTEX = 1,
	MR_LOCK_SPINLOCK = 2,
	MR_LOCK_RWLOCK_READ = 3,
	MR_LOCK_RWLOCK_WRITE = 4,
	MR_LOCK_RWSEM_READ = 5,
	MR_LOCK_RWSEM_WRITE = 6,
	MR_LOCK_LOCKDEP = 7, /* from lockdep's held_locks: kind unknown, class_key set */
	MR_LOCK_LOCKDEP_READ = 8, /* the same, held for reading (lockdep's read != 0: shared) */
	MR_LOCK_SRCU_READ = 9, /* an SRCU read side (__srcu_read_lock), addr = the srcu_struct */
	MR_LOCK_SRCU_SYNC = 10, /* unload lockset only: synchronize_srcu{,_expedited} on the
				   srcu_struct at addr (lockdep provider: its dep_map) returned */
};

/* Program types whose own preempt/RCU footprint is calibrated away (index of the baselines). */
enum mr_probe_ctx {
	MR_CTX_KPROBE = 0,
	MR_CTX_FENTRY = 1,
	MR_CTX_MAX = 2,
};

/* Where the held-lock set came from. */
enum mr_lock_provider {
	MR_LOCKS_OFF = 0,
	MR_LOCKS_PROBE = 1, /* probes on the lock primitives, tracked per task in BPF */
	MR_LOCKS_LOCKDEP = 2, /* current->held_locks on a lockdep kernel */
};

/* Every place an event or a piece of one can be lost; counted in drop_counts, a .bss array the
 * loader reads through the skeleton (bpf/core.bpf.h). */
enum mr_drop_cause {
	MR_DROP_RINGBUF_FULL = 0, /* no room in the ring buffer: whole event lost */
	MR_DROP_STACK = 1, /* stack capture failed: event kept without frames */
	MR_DROP_LOCK_TABLE = 2, /* per-task held-lock table full: snapshot marked truncated */
	MR_DROP_TASK_STORAGE = 3, /* per-task state could not be created: locks unknown */
	MR_DROP_LOCK_RECURSION = 4, /* lock probes skipped by the kernel (bpf recursion_misses);
				       filled in by userspace from bpf_prog_info */
	MR_DROP_LOCK_RECURSION_IRQ = 5, /* the same misses when the kernel's preemption model proves
					   them interrupts nested in a probe (no task lock lost);
					   filled in by userspace, not a loss */
	MR_DROP_TASK_STORAGE_MARKED = 6, /* per-task state could not be created, and the task is
					    marked: its later snapshots are truncated, its gets
					    unverified; nothing else lost */
	MR_DROP_CAUSE_MAX = 7,
};

struct mr_event_header {
	__u16 kind; /* enum mr_event_kind */
	__u16 size; /* bytes of the whole record, its stack included */
	__u32 cpu;
	__u64 ts_ns; /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u32 pid; /* tgid */
	__u32 tid;
	char comm[MR_COMM_LEN];
	__u16 nr_frames; /* the record's last nr_frames words: its kernel stack, innermost first */
	__u16 flags; /* reserved, 0 */
	__u32 pad;
};

/* mr_held_lock.flags */
#define MR_HELD_IRQ (1u << 0) /* taken by an _irq/_irqsave variant: interrupts are off */
#define MR_HELD_BH (1u << 1) /* taken by a _bh variant: softirqs are off */
#define MR_HELD_RT \
	(1u << 2) /* PREEMPT_RT sleeping spinlock/rwlock (rt_spin_lock...): the holder
			       * may sleep, so it survives a context switch */

struct mr_held_lock {
	__u64 addr; /* lock address (for lockdep: the lockdep_map instance) */
	__u64 acquire_ip; /* where it was acquired; 0 when the probe cannot see it (fentry) */
	__u32 kind; /* enum mr_lock_kind */
	__u32 flags; /* MR_HELD_* (was padding in ABI 1) */
	__u64 class_key; /* lockdep class key address, 0 when not from lockdep */
};

/* The lock context of the task at a refcount or driver event. */
struct mr_lock_ctx {
	__u32 preempt_count; /* as seen by the traced code: BPF's own contribution removed */
	__u16 rcu_depth; /* rcu_read_lock nesting of the traced code */
	__u8 irqs_disabled;
	__u8 in_interrupt; /* hardirq/softirq/NMI context: locks not tracked there */
	__u8 nr_locks; /* valid entries in locks[] */
	__u8 truncated; /* more locks were held than captured, the table overflowed, or the task
			   lost its lock state (lock_state_lost) */
	__u8 provider; /* enum mr_lock_provider */
	__u8 pad[5];
	struct mr_held_lock locks[MR_MAX_HELD_LOCKS]; /* outermost first */
};

struct mr_ev_module_load {
	struct mr_event_header hdr;
	__u64 module; /* struct module * */
	__u64 core_text_start;
	__u64 core_text_size;
	__u64 init_text_start;
	__u64 init_text_size;
	char name[MR_MODULE_NAME_LEN];
	__u64 frames[MR_MAX_STACK_DEPTH]; /* room for the stack (see the rules above) */
};

struct mr_ev_module_state {
	struct mr_event_header hdr;
	__u64 module;
	__u32 state; /* enum mr_module_state */
	__u32 pad;
	__u64 frames[MR_MAX_STACK_DEPTH]; /* room for the stack (see the rules above) */
};

struct mr_ev_module_free {
	struct mr_event_header hdr;
	__u64 module;
	__u64 frames[MR_MAX_STACK_DEPTH]; /* room for the stack (see the rules above) */
};

struct mr_ev_delete_module {
	struct mr_event_header hdr;
	__u32 phase; /* enum mr_phase */
	__u32 flags; /* O_NONBLOCK, O_TRUNC (forced) as passed to the syscall */
	__s64 ret; /* exit phase only */
	char name[MR_MODULE_NAME_LEN];
	__u64 frames[MR_MAX_STACK_DEPTH]; /* room for the stack (see the rules above) */
};

/*
 * The high-rate record, sized to what it carries: of `locks`, only its first locks.nr_locks
 * entries are sent, and the frames follow the last of them. `frames` is room for a full stack
 * after a full lock table (the BPF side builds the record in a scratch buffer of this size).
 */
struct mr_ev_refcount {
	struct mr_event_header hdr;
	__u64 module;
	__u64 caller_ip; /* return address into the caller of try_module_get/__module_get/module_put */
	__s32 refcount; /* module->refcnt after the operation, raw: MODULE_REF_BASE (1) = no
			    users, 0 = claimed by try_stop_module; -1 when unknown */
	__u8 success; /* try_module_get's result; 1 for the others */
	__u8 widen; /* enum mr_widen (was padding up to ABI 6) */
	__u16 widen_us; /* MR_WIDEN_HELD: how long the task was held before the get */
	struct mr_lock_ctx locks;
	__u64 frames[MR_MAX_STACK_DEPTH];
};

/* mr_ev_refcount.widen: what --widen did to this get (bpf/widen.bpf.h). */
enum mr_widen {
	MR_WIDEN_NONE = 0,
	MR_WIDEN_HELD = 1, /* at a widened site: the task was held widen_us before the get */
	MR_WIDEN_CAPPED = 2, /* at a widened site, but the per-second budget was spent: not held */
};

/* One --widen site (widen_sites in bpf/widen.bpf.h's .bss), filled by userspace once its
 * address is known: a get whose return address is in [start, end) is held delay_us (at most
 * MR_WIDEN_MAX_US). end == 0: slot unused. */
struct mr_widen_site {
	__u64 start;
	__u64 end;
	__u32 delay_us;
	__u32 pad;
};

struct mr_ev_driver {
	struct mr_event_header hdr;
	__u64 driver; /* struct device_driver * */
	__u64 owner; /* drv->owner (struct module *), 0 for built-in */
	__u32 phase; /* enum mr_phase */
	__s32 ret; /* driver_register's return value, exit phase only */
	char name[MR_DRIVER_NAME_LEN];
	char bus[MR_DRIVER_NAME_LEN];
	struct mr_lock_ctx locks;
	__u64 frames[MR_MAX_STACK_DEPTH]; /* room for the stack (see the rules above) */
};

struct mr_ev_unload_lock {
	struct mr_event_header hdr;
	__u64 lock;
	__u64 ip; /* acquisition site */
	__u32 lock_kind; /* enum mr_lock_kind */
	__u32 pad;
	__u64 class_key; /* lockdep only */
	__u64 frames[MR_MAX_STACK_DEPTH]; /* room for the stack (see the rules above) */
};

struct mr_ev_unload_rcu_sync {
	struct mr_event_header hdr;
	__u64 ip; /* caller of the grace-period wait */
	__u64 frames[MR_MAX_STACK_DEPTH]; /* room for the stack (see the rules above) */
};

/*
 * One symbol of a module's full symbol table (mod->kallsyms), emitted at module_load (COMING,
 * before init runs) right after the module_load record, so the symbols of a module that is gone
 * again a moment later are still captured. Only defined function and data symbols inside the
 * module's memory; no stack (hdr.nr_frames is 0). Init symbols are included (their range says
 * they are).
 */
struct mr_rec_module_symbol {
	struct mr_event_header hdr;
	__u64 module; /* struct module * (the module_load record's `module`) */
	__u64 addr; /* st_value */
	__u8 type; /* kallsyms type letter from mod->kallsyms->typetab: t T d D b B r R */
	__u8 pad[7];
	char name[MR_SYMBOL_NAME_LEN];
	__u64 size; /* st_size: the object's bytes (a lock is named by it only inside them) */
};

/*
 * A lockdep lock class's name (lockdep_map.name: "&disk->open_mutex", "misc_mtx"), emitted once
 * per class key, the first time a lock of that class shows up in a held-lock snapshot or in an
 * unload's lockset (lockdep provider only). It may follow the event that first carried the lock.
 */
struct mr_rec_lock_class {
	struct mr_event_header hdr;
	__u64 key; /* struct lock_class_key * (held-lock class_key) */
	__u64 lock; /* the struct lockdep_map * it was first seen on */
	char name[MR_SYMBOL_NAME_LEN];
};

#endif /* MODRACE_ABI_H */
