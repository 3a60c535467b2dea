/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Module symbols: a second program on module_load walks the module's symbol table (bpf_loop),
 * attached after tp_module_load so its records follow the module_load one.
 */
#pragma once

#define MR_MOD_RANGES 7 /* >= 6.4: MOD_MEM_NUM_TYPES; <= 6.3: core and init layout */
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
	case 't':
	case 'T':
	case 'd':
	case 'D':
	case 'b':
	case 'B':
	case 'r':
	case 'R':
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
	e->size = sym.st_size;
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
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&load_record_lost, &zero);

	/* No symbols without their module_load record (lifecycle.bpf.h): one more try for it. */
	if (lost && *lost == (__u64)mod) {
		*lost = 0;
		if (!emit_module_load(ctx, mod))
			return 0;
	}
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
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[0].base),
				  BPF_CORE_READ(m, mem[0].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[1].base),
				  BPF_CORE_READ(m, mem[1].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[2].base),
				  BPF_CORE_READ(m, mem[2].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[3].base),
				  BPF_CORE_READ(m, mem[3].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[4].base),
				  BPF_CORE_READ(m, mem[4].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[5].base),
				  BPF_CORE_READ(m, mem[5].size));
			add_range(&w, (__u64)BPF_CORE_READ(m, mem[6].base),
				  BPF_CORE_READ(m, mem[6].size));
		}
	}
	bpf_loop(w.nr, walk_symbol, &w, 0);
	return 0;
}
