/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Refcount operations: try_module_get, __module_get, module_put (kprobes only: see
 * modrace.bpf.c's file comment), each a record with the lock context at entry.
 */
#pragma once

static __always_inline int module_wanted(struct module *mod)
{
	struct module_name key = {};

	if (cfg_nr_filters == 0)
		return 1;
	/* mod->name is a zero-padded char[56]: read it whole so it matches the padded keys. */
	bpf_probe_read_kernel(&key.name, sizeof(key.name), &mod->name);
	return bpf_map_lookup_elem(&module_filter, &key) != 0;
}

/* Refcount operations in interrupt context cannot use the interrupted task's state. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending_op);
} irq_pending SEC(".maps");

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

/*
 * Where refcount records are built (their size is known only after the unwind). Refcount
 * programs are kprobes, which never nest on a CPU (the kernel's bpf_prog_active), and nothing
 * else uses it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mr_ev_refcount);
} refcount_scratch SEC(".maps");

static __always_inline int ref_exit(struct pt_regs *regs, __u32 kind, int success)
{
	struct mr_ev_refcount *e;
	struct pending_op *p;
	struct module *mod;
	int in_irq, cnt = -1;
	__u32 widen, widen_us, zero = 0, nr_locks, before, size;

	p = pending_slot(&in_irq);
	if (!p)
		return 0;
	/* Taken and cleared whatever happens next, so a mark never outlives its get. */
	widen = p->widen;
	widen_us = p->widen_us;
	p->widen = 0;
	p->widen_us = 0;
	if (!p->valid || p->kind != kind)
		return 0;
	p->valid = 0;
	e = bpf_map_lookup_elem(&refcount_scratch, &zero);
	if (!e)
		return 0;
	mod = (struct module *)p->obj;
	e->module = p->obj;
	e->caller_ip = p->caller_ip;
	e->success = success;
	e->widen = widen;
	e->widen_us = widen_us;
	__builtin_memcpy(&e->locks, &p->ctx, sizeof(e->locks));
	/* Only the held locks are sent; the stack follows the last of them. */
	nr_locks = e->locks.nr_locks;
	if (nr_locks > MR_MAX_HELD_LOCKS)
		nr_locks = MR_MAX_HELD_LOCKS;
	before = __builtin_offsetof(struct mr_ev_refcount, locks.locks) +
		 nr_locks * sizeof(struct mr_held_lock);
	fill_task(&e->hdr, kind);
	size = fill_stack(regs, &e->hdr, before);
	/* The raw counter: MODULE_REF_BASE (1) is a live module with no users, 0 one that
	 * try_stop_module has claimed; -1 stays free to mean "unknown". Read after the unwind and
	 * right before the record takes its place in the ring (output_batched), which is the order
	 * the analyzer reads events in: whatever the value shows (a delete_module that claimed the
	 * base, say) then comes before this event. Read earlier, a vCPU stalling in between
	 * (emulation, preemption, the unwind itself) let a put show the base claimed by a
	 * delete_module whose enter record came after it: a false put-underflow. The timestamp is
	 * taken later still, so it never precedes the value. */
	if (bpf_probe_read_kernel(&cnt, sizeof(cnt), &mod->refcnt.counter))
		cnt = -1;
	e->refcount = cnt;
	e->hdr.ts_ns = bpf_ktime_get_ns();
	output_batched(&e->hdr, size);
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
