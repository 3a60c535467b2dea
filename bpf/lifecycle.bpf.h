/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Module lifecycle: module_load (COMING), the notifier's LIVE and GOING, module_free.
 */
#pragma once

static __always_inline void read_module_name(struct module *mod, char *dst)
{
	bpf_probe_read_kernel_str(dst, MR_MODULE_NAME_LEN, BPF_CORE_READ(mod, name));
}

static __always_inline void emit_state(void *ctx, struct module *mod, __u32 state)
{
	struct mr_ev_module_state *e = reserve(sizeof(*e));

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_MODULE_STATE, BEFORE_FRAMES(e), 1);
	e->module = (__u64)mod;
	e->state = state;
	submit(e);
}

/*
 * The module whose module_load record this CPU could not reserve (0: the last one was recorded).
 * tp_module_syms, next on this CPU in the same tracepoint call, tries the record once more and
 * sends no symbols without it: symbols of a load the reader never saw would be credited to the
 * previous load at the same struct module (a lost module_free too) or named by nothing.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} load_record_lost SEC(".maps");

/* The module_load record: 0 when the ring buffer had no room for it. */
static __always_inline int emit_module_load(void *ctx, struct module *mod)
{
	struct mr_ev_module_load *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_MODULE_LOAD, BEFORE_FRAMES(e), 1);
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
	return 1;
}

SEC("tp_btf/module_load")
int BPF_PROG(tp_module_load, struct module *mod)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&load_record_lost, &zero);
	int recorded = emit_module_load(ctx, mod);

	if (lost)
		*lost = recorded ? 0 : (__u64)mod;
	if (!recorded)
		return 0;
	/* The tracepoint fires in prepare_coming_module: the module is COMING. */
	emit_state(ctx, mod, MR_MODULE_COMING);
	return 0;
}

SEC("tp_btf/module_free")
int BPF_PROG(tp_module_free, struct module *mod)
{
	struct mr_ev_module_free *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(ctx, &e->hdr, MR_EV_MODULE_FREE, BEFORE_FRAMES(e), 1);
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
