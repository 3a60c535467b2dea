/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * driver_register / driver_unregister: an event at entry (with the lock context) and at exit, in
 * both flavours (the kprobe one keeps the driver between its two probes in the task state).
 */
#pragma once

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
	fill_header(ctx, &e->hdr, kind, BEFORE_FRAMES(e), 1);
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

static __always_inline int drv_kprobe_enter(struct pt_regs *regs, __u32 kind,
					    struct device_driver *drv)
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
