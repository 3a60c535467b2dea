/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel layout flavours (CO-RE): types that exist in some kernels only, matched by
 * bpf_core_field_exists()/bpf_core_enum_value() at load. The bcc core_fixes.bpf.h role.
 */
#pragma once

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

/* srcu_struct.dep_map (CONFIG_DEBUG_LOCK_ALLOC): what srcu_read_lock hands to lockdep. */
struct srcu_struct___ld {
	struct lockdep_map___ld dep_map;
} __attribute__((preserve_access_index));

struct task_struct___ld {
	int lockdep_depth;
	struct held_lock___ld held_locks[48];
} __attribute__((preserve_access_index));
