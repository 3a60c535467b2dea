// SPDX-License-Identifier: GPL-2.0-only
// Initial program set: module lifecycle and refcount tracepoints. The tracer grows from here.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "modrace_abi.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

SEC("tp_btf/module_free")
int BPF_PROG(on_module_free, struct module *mod)
{
	struct mr_ev_module_free *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->hdr.kind = MR_EV_MODULE_FREE;
	e->hdr.size = sizeof(*e);
	e->module = (__u64)mod;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
