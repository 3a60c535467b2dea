/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lockdep provider (kernels with CONFIG_LOCKDEP): lock class names (note_lock_class) and the
 * held set read from task_struct.held_locks (capture_lockdep). No programs: lockdep's
 * lock_acquire/lock_release feed only the unload lockset and are in unload.bpf.h.
 */
#pragma once

/* Lockdep class keys whose name was emitted (MR_REC_LOCK_CLASS), lockdep provider only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u8);
} lock_classes SEC(".maps");

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

/* The lockdep half of the held-lock snapshot: task_struct.held_locks, read through CO-RE. */
static __always_inline void capture_lockdep(struct mr_lock_ctx *c)
{
	struct task_struct___ld *t = (void *)bpf_get_current_task_btf();
	void *base;
	__u32 stride, o_ip, o_inst, i;
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
						   ? MR_LOCK_LOCKDEP_READ
						   : MR_LOCK_LOCKDEP;
		}
		note_lock_class(c->locks[i].class_key, (__u64)inst);
	}
}
