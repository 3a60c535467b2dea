// SPDX-License-Identifier: GPL-2.0-only
#include "loader/attach_plan.h"

#include <algorithm>

#include <fmt/format.h>

#include "events/error.h"

namespace modrace::loader {

LockMode lock_mode_from_string(const std::string& s) {
  if (s == "auto") return LockMode::auto_;
  if (s == "lockdep") return LockMode::lockdep;
  if (s == "probe") return LockMode::probe;
  if (s == "off") return LockMode::off;
  throw Error("--locks: expected auto, lockdep, probe or off, not '" + s + "'");
}

LockProvider choose_lock_provider(LockMode mode, const KernelFeatures& k) {
  switch (mode) {
    case LockMode::auto_:
      return k.has_lockdep ? LockProvider::lockdep : LockProvider::probe;
    case LockMode::lockdep:
      if (!k.has_lockdep)
        throw Error("--locks lockdep: this kernel has no lockdep (task_struct.held_locks)");
      return LockProvider::lockdep;
    case LockMode::probe:
      return LockProvider::probe;
    case LockMode::off:
      return LockProvider::off;
  }
  return LockProvider::off;
}

ProbeStatus plan_attach_point(const AttachPoint& p, const KernelFeatures& k, const PlanOptions& o) {
  // An fentry program runs preemptible (migrate_disable only): under preempt=full/lazy/RT another
  // task's lock operation on that CPU meanwhile is skipped as a recursion, and its lock is lost.
  // A kprobe program runs with preemption off, so only interrupts can nest in it, and lock
  // tracking ignores those anyway. Slower, but nothing lost.
  const bool lock_kprobes_all = !k.preempt.task_cannot_preempt_probes();
  const bool lock_kprobes = lock_kprobes_all && p.group == ProbeGroup::locks;
  const bool prefer_kprobe = o.prefer_kprobe;
  // The in-kernel symbol walk needs bpf_loop (5.17); without it, /proc/kallsyms after the load.
  const std::string walk_why = k.bpf_loop ? "" : "no bpf_loop in this kernel";

  ProbeStatus st;
  st.point = &p;
  if (p.group == ProbeGroup::locks && o.provider != LockProvider::probe) {
    st.why = fmt::format("not needed (locks={})", to_string(o.provider));
  } else if (p.group == ProbeGroup::lockdep && o.provider != LockProvider::lockdep) {
    st.why = fmt::format("not needed (locks={})", to_string(o.provider));
  } else if (p.group == ProbeGroup::widen && !o.widen) {
    st.why = "not needed (no --widen)";
  } else if (std::string(p.id) == "module_syms" && !o.walk_syms) {
    st.why = (walk_why.empty() ? std::string("the verifier refused the symbol walk") : walk_why) +
             ": module symbols read from /proc/kallsyms after the load (missed for modules "
             "that are unloaded at once)";
  } else if (p.group == ProbeGroup::lifecycle && std::string(p.id) == "notify" &&
             !k.module_notify_list) {
    st.why = "module_notify_list not in /proc/kallsyms (CONFIG_KALLSYMS_ALL): no LIVE/GOING";
  } else if (p.tracepoint && k.btf_tracepoints.count(p.function)) {
    st.method = "tracepoint";
  } else if (p.tracepoint && !p.has_fentry && !p.has_kprobe) {
    st.why = "no such tracepoint in the kernel's BTF";
  } else if (p.has_fentry && !prefer_kprobe && !lock_kprobes && k.fentry_ok(p.function)) {
    st.method = "fentry";
  } else if (p.has_kprobe && k.kallsyms_text.count(p.function)) {
    st.method = "kprobe";
    if (p.has_fentry)
      st.why = prefer_kprobe  ? "fentry not usable on this kernel"
               : lock_kprobes ? fmt::format(
                                    "preempt={}: fentry programs are preemptible, lock events "
                                    "would be lost",
                                    k.preempt.model)
               : !k.btf_has_func(p.function) ? "not in BTF"
                                             : "not an ftrace location (no fentry)";
  } else {
    st.why = "no such function (inlined or not built in this kernel)";
  }
  return st;
}

std::vector<ProbeStatus> plan_attach(const KernelFeatures& k, const PlanOptions& o) {
  std::vector<ProbeStatus> out;
  for (const auto& p : attach_points()) out.push_back(plan_attach_point(p, k, o));
  return out;
}

std::vector<LoadAttempt> load_attempts(bool prefer_kprobe, bool bpf_loop) {
  std::vector<LoadAttempt> attempts;
  for (bool kp : {prefer_kprobe, true})
    for (bool walk : {bpf_loop, false})
      if (std::none_of(attempts.begin(), attempts.end(), [&](const LoadAttempt& a) {
            return a.prefer_kprobe == kp && a.walk_syms == walk;
          }))
        attempts.push_back({kp, walk});
  return attempts;
}

bool retry_may_help(const std::vector<LoadAttempt>& attempts, size_t failed,
                    const std::vector<ProbeStatus>& planned) {
  bool any_fentry = false;
  for (const auto& s : planned) any_fentry |= s.method == "fentry";
  const bool walk_syms = attempts[failed].walk_syms;
  bool more = false;
  for (size_t a = failed + 1; a < attempts.size(); a++)
    more |= (attempts[a].prefer_kprobe && any_fentry) || (walk_syms && !attempts[a].walk_syms);
  return more;
}

}  // namespace modrace::loader
