// SPDX-License-Identifier: GPL-2.0-only
#include "loader/probes.h"

namespace modrace::loader {

namespace {
using G = ProbeGroup;
constexpr unsigned FE = kProgFentry, FX = kProgFexit, KP = kProgKprobe, KR = kProgKretprobe,
                   TP = kProgTracepoint;

// The syscall entry points' symbol, as bpf/arch_x86.bpf.h's MR_SYSCALL names them.
#if defined(__x86_64__)
#define MR_SYSCALL(name) "__x64_sys_" #name
#else
#error "modrace: the syscall symbol prefix of this architecture is unknown (see bpf/arch_x86.bpf.h)"
#endif

// One row; the flavour flags follow from the programs.
constexpr AttachPoint point(const char* id, const char* function, ProbeGroup group, bool required,
                            unsigned programs) {
  return {id,
          function,
          group,
          required,
          (programs & TP) != 0,
          (programs & (FE | FX)) != 0,
          (programs & (KP | KR)) != 0,
          programs};
}

// Points are attached in reverse table order, which some rows rely on: each lock family's
// releases come after its acquires (attached first, or locks taken meanwhile would never be
// popped), and module_syms comes before module_load (see there).
// id, function, group, required, programs
const std::vector<AttachPoint> kPoints = {
    point("calib_kp", MR_SYSCALL(getppid), G::calibration, false, KP),
    point("calib_fe", MR_SYSCALL(delete_module), G::calibration, false, FE),
    // Before module_load: points are attached in reverse table order, and the symbol walk must
    // run after tp_module_load on the same tracepoint so its records follow the module_load one.
    point("module_syms", "module_load", G::lifecycle, false, TP),
    point("module_load", "module_load", G::lifecycle, true, TP),
    point("module_free", "module_free", G::lifecycle, true, TP),
    point("notify", "blocking_notifier_call_chain", G::lifecycle, false, FE | KP),
    point("delete_module", MR_SYSCALL(delete_module), G::syscall, true, FE | FX | KP | KR),
    // Before the refcount rows: attached after them, these kprobes run first on each get, and
    // read the return address before the refcount kretprobe replaces it.
    point("widen_try_module_get", "try_module_get", G::widen, false, KP),
    point("widen___module_get", "__module_get", G::widen, false, KP),
    point("try_module_get", "try_module_get", G::refcount, true, KP | KR),
    point("__module_get", "__module_get", G::refcount, false, KP | KR),
    point("module_put", "module_put", G::refcount, true, KP | KR),
    point("driver_register", "driver_register", G::driver, false, FE | FX | KP | KR),
    point("driver_unregister", "driver_unregister", G::driver, false, FE | FX | KP | KR),
    point("synchronize_rcu", "synchronize_rcu", G::rcu_sync, false, FE | KP),
    point("synchronize_rcu_expedited", "synchronize_rcu_expedited", G::rcu_sync, false, FE | KP),
    // Also the unload lockset's srcu_sync: noted at entry, stamped at return (bpf/unload.bpf.h).
    point("synchronize_srcu", "synchronize_srcu", G::rcu_sync, false, FE | FX | KP | KR),
    point("synchronize_srcu_expedited", "synchronize_srcu_expedited", G::rcu_sync, false,
          FE | FX | KP | KR),
    point("rcu_barrier", "rcu_barrier", G::rcu_sync, false, FE | KP),
// The lock primitives: bpf/lock_probes.def, the list the BPF programs are made from.
#define LOCK_ACQ(fn, ...) point(#fn, #fn, G::locks, false, FE | KP),
#define LOCK_TRY(fn, ...) point(#fn, #fn, G::locks, false, FX | KP | KR),
#define LOCK_REL(fn, ...) point(#fn, #fn, G::locks, false, FE | KP),
#include "lock_probes.def"
#undef LOCK_ACQ
#undef LOCK_TRY
#undef LOCK_REL
    point("sched_switch", "sched_switch", G::locks, false, TP),
    // lockdep's own tracepoint (CONFIG_LOCKDEP + tracepoints); lockdep.c has no ftrace nops,
    // so a kprobe is the fallback.
    point("lock_acquire", "lock_acquire", G::lockdep, false, TP | FE | KP),
    point("lock_release", "lock_release", G::lockdep, false, TP | FE | KP),
};
}  // namespace

const std::vector<AttachPoint>& attach_points() { return kPoints; }

const char* to_string(ProbeGroup g) {
  switch (g) {
    case G::calibration:
      return "calibration";
    case G::lifecycle:
      return "lifecycle";
    case G::syscall:
      return "syscall";
    case G::refcount:
      return "refcount";
    case G::driver:
      return "driver";
    case G::rcu_sync:
      return "rcu_sync";
    case G::locks:
      return "locks";
    case G::lockdep:
      return "lockdep";
    case G::widen:
      return "widen";
  }
  return "?";
}

const char* program_prefix(unsigned bit) {
  switch (bit) {
    case FE:
      return "fe_";
    case FX:
      return "fx_";
    case KP:
      return "kp_";
    case KR:
      return "kr_";
    case TP:
      return "tp_";
  }
  return nullptr;
}

std::vector<std::string> program_names(const AttachPoint& p, const std::string& method) {
  std::vector<unsigned> order;
  if (method == "fentry")
    order = {FX, FE};
  else if (method == "kprobe")
    order = {KR, KP};
  else if (method == "tracepoint")
    order = {TP};
  std::vector<std::string> names;
  for (unsigned bit : order)
    if (p.programs & bit) names.push_back(program_prefix(bit) + std::string(p.id));
  return names;
}

}  // namespace modrace::loader
