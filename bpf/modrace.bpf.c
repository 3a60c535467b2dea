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
 * ignored. Storage is never created from the irqsave/irqrestore programs, because creation takes
 * irqsave locks and the kernel would count the self-recursion as a miss.
 *
 * Program names: fe_ID (fentry), fx_ID (fexit), kp_ID (kprobe), kr_ID (kretprobe), tp_ID (tp_btf),
 * it_ID (iterator); ID is the attach point's id in the loader's table (probes.cpp).
 *
 * One translation unit, so one object and the verifier's work as before: this file only includes
 * the units, one concern each, in an order where each uses only those above it:
 *   arch_<arch>   the architecture: preempt count, kprobe registers, syscall symbol prefix
 *   compat        kernel layout flavours (CO-RE)
 *   core          sizes, every userspace-visible global and map, task state, busy flag,
 *                 ring buffer reserve/submit, drop counts
 *   lockdep       lockdep provider: class names, the held set from held_locks
 *   lock_ctx      the lock context at an event (capture_ctx)
 *   calibration   the machinery's own preempt count and RCU depth
 *   lifecycle     module_load/module_free and the notifier's LIVE/GOING
 *   module_syms   the in-kernel symbol walk at module_load
 *   unload        what a task inside delete_module takes (the unload lockset), and its
 *                 lockdep sources lock_acquire/lock_release
 *   lock_probes   provider "probe": the held-lock table and the programs of lock_probes.def
 *   refcount      try_module_get/__module_get/module_put
 *   widen         --widen: hold the task at chosen get sites (loaded only with the option)
 *   driver        driver_register/driver_unregister
 * The order also keeps the object as it was when this was one file: clang places the static
 * subprograms (walk_symbol, emit_unload_lock, note_lock_class) in .text in the order the
 * programs first call them.
 *
 * Every helper is static __always_inline (note_lock_class is __noinline, the bpf_loop and
 * for_each callbacks are static). Units as objects of their own would need global subprograms,
 * which the verifier checks on their own with restricted argument types: a change of the unit
 * of verification, not a tidy-up (see the cost notes at lock_pop and the unload_locks map).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <asm-generic/errno-base.h>
#include "modrace_abi.h"

char LICENSE[] SEC("license") = "GPL";

#if defined(__TARGET_ARCH_x86)
#include "arch_x86.bpf.h"
#else
#error "modrace's BPF side exists for x86 only: another architecture needs its arch_<arch>.bpf.h and vmlinux.h"
#endif
#include "compat.bpf.h"
#include "core.bpf.h"
#include "lockdep.bpf.h"
#include "lock_ctx.bpf.h"
#include "calibration.bpf.h"
#include "lifecycle.bpf.h"
#include "module_syms.bpf.h"
#include "unload.bpf.h"
#include "lock_probes.bpf.h"
#include "refcount.bpf.h"
#include "widen.bpf.h"
#include "driver.bpf.h"
