// SPDX-License-Identifier: GPL-2.0-only
#include "loader/probes.h"

namespace modrace::loader {

namespace {
using G = ProbeGroup;
// id, function, group, required, tracepoint, fentry, kprobe
const std::vector<AttachPoint> kPoints = {
    {"calib_kp", "__x64_sys_getppid", G::calibration, false, false, false, true},
    {"calib_fe", "__x64_sys_delete_module", G::calibration, false, false, true, false},
    // Before module_load: points are attached in reverse table order, and the symbol walk must
    // run after tp_module_load on the same tracepoint so its records follow the module_load one.
    {"module_syms", "module_load", G::lifecycle, false, true, false, false},
    {"module_load", "module_load", G::lifecycle, true, true, false, false},
    {"module_free", "module_free", G::lifecycle, true, true, false, false},
    {"notify", "blocking_notifier_call_chain", G::lifecycle, false, false, true, true},
    {"delete_module", "__x64_sys_delete_module", G::syscall, true, false, true, true},
    {"try_module_get", "try_module_get", G::refcount, true, false, false, true},
    {"__module_get", "__module_get", G::refcount, false, false, false, true},
    {"module_put", "module_put", G::refcount, true, false, false, true},
    {"driver_register", "driver_register", G::driver, false, false, true, true},
    {"driver_unregister", "driver_unregister", G::driver, false, false, true, true},
    {"synchronize_rcu", "synchronize_rcu", G::rcu_sync, false, false, true, true},
    {"synchronize_rcu_expedited", "synchronize_rcu_expedited", G::rcu_sync, false, false, true, true},
    {"synchronize_srcu", "synchronize_srcu", G::rcu_sync, false, false, true, true},
    {"rcu_barrier", "rcu_barrier", G::rcu_sync, false, false, true, true},
#define LOCK(fn) {#fn, #fn, G::locks, false, false, true, true}
    LOCK(mutex_lock), LOCK(mutex_lock_interruptible), LOCK(mutex_lock_killable),
    LOCK(mutex_trylock), LOCK(mutex_unlock),
    LOCK(_raw_spin_lock), LOCK(_raw_spin_lock_irq), LOCK(_raw_spin_lock_irqsave),
    LOCK(_raw_spin_lock_bh), LOCK(_raw_spin_trylock), LOCK(_raw_spin_unlock),
    LOCK(_raw_spin_unlock_irq), LOCK(_raw_spin_unlock_irqrestore), LOCK(_raw_spin_unlock_bh),
    LOCK(_raw_read_lock), LOCK(_raw_read_lock_irq), LOCK(_raw_read_lock_irqsave),
    LOCK(_raw_read_lock_bh), LOCK(_raw_read_unlock), LOCK(_raw_read_unlock_irq),
    LOCK(_raw_read_unlock_irqrestore), LOCK(_raw_read_unlock_bh),
    LOCK(_raw_write_lock), LOCK(_raw_write_lock_irq), LOCK(_raw_write_lock_irqsave),
    LOCK(_raw_write_lock_bh), LOCK(_raw_write_unlock), LOCK(_raw_write_unlock_irq),
    LOCK(_raw_write_unlock_irqrestore), LOCK(_raw_write_unlock_bh),
    // PREEMPT_RT's sleeping spinlock_t/rwlock_t; absent elsewhere.
    LOCK(rt_spin_lock), LOCK(rt_spin_trylock), LOCK(rt_spin_unlock),
    LOCK(rt_read_lock), LOCK(rt_read_trylock), LOCK(rt_read_unlock),
    LOCK(rt_write_lock), LOCK(rt_write_trylock), LOCK(rt_write_unlock),
    LOCK(down_read), LOCK(down_read_killable), LOCK(down_read_interruptible),
    LOCK(down_read_trylock), LOCK(down_write), LOCK(down_write_killable),
    LOCK(down_write_trylock), LOCK(up_read), LOCK(up_write),
#undef LOCK
    {"sched_switch", "sched_switch", G::locks, false, true, false, false},
    // lockdep's own tracepoint (CONFIG_LOCKDEP + tracepoints); lockdep.c has no ftrace nops,
    // so a kprobe is the fallback.
    {"lock_acquire", "lock_acquire", G::lockdep, false, true, true, true},
    {"lock_release", "lock_release", G::lockdep, false, true, true, true},
};
}  // namespace

const std::vector<AttachPoint>& attach_points() { return kPoints; }

const char* to_string(ProbeGroup g) {
  switch (g) {
    case G::calibration: return "calibration";
    case G::lifecycle: return "lifecycle";
    case G::syscall: return "syscall";
    case G::refcount: return "refcount";
    case G::driver: return "driver";
    case G::rcu_sync: return "rcu_sync";
    case G::locks: return "locks";
    case G::lockdep: return "lockdep";
  }
  return "?";
}

}  // namespace modrace::loader
