// SPDX-License-Identifier: GPL-2.0-only
//
// Lock semantics shared by the rules: a lock both sides hold, and a lock context as text.
#include "analyzer/locks.h"

#include <fmt/format.h>

namespace modrace::checker {

const HeldLock* shared_lock(const LockContext& lc, const std::vector<UnloadLockRec>& profile,
                            const UnloadLockRec** in_profile) {
  for (const auto& h : lc.held())
    for (const auto& u : profile)
      if (same_lock(h.addr, h.kind, u.addr, u.kind) && (exclusive(h.kind) || exclusive(u.kind))) {
        if (in_profile) *in_profile = &u;
        return &h;
      }
  return nullptr;
}

std::string protection_name(const HeldLock& l, SymbolView syms) {
  if (l.kind != LockKind::srcu_read) {
    // A lock in no named object (a disk's open_mutex, on the heap): its address alone says
    // little; its kind and where it was taken (when the probe knows: kprobes, not fentry) more.
    if (!l.class_key && !syms.name_data(l.addr))
      return l.acquire_ip ? fmt::format("{} at 0x{:x}, taken at {}", to_string(l.kind), l.addr,
                                        syms.format(l.acquire_ip))
                          : fmt::format("{} at 0x{:x}", to_string(l.kind), l.addr);
    return syms.lock_name(l.addr, l.class_key);
  }
  // An SRCU read side is named by its srcu_struct. From lockdep, `addr` is the dep_map inside it,
  // and the class name of a module's static srcu_struct is srcu_module_coming()'s "*(sspp++)"
  // (one class for all of them): the data symbol around the dep_map says which one it is.
  if (l.class_key)
    if (const KernelSymbol* s = syms.data_symbol(l.addr)) return "srcu " + s->name;
  return "srcu " + syms.lock_name(l.addr, l.class_key);
}

void add_unique(std::vector<UnloadLockRec>& v, const UnloadLockRec& l) {
  for (const auto& x : v)
    if (x.addr == l.addr && x.kind == l.kind) return;
  v.push_back(l);
}

std::string lock_context_text(const LockContext& lc) {
  std::vector<std::string> parts;
  if (uint16_t own = lc.explicit_rcu_depth(); own == lc.rcu_depth && lc.rcu_depth)
    parts.push_back(fmt::format("rcu_read_lock held (depth {})", lc.rcu_depth));
  else if (lc.rcu_depth)
    // PREEMPT_RT: each spinlock_t/rwlock_t held is an RCU read side of its own.
    parts.push_back(fmt::format("rcu_read_lock depth {}, {} of it implicit in PREEMPT_RT spinlocks",
                                lc.rcu_depth, lc.rcu_depth - own));
  if (lc.preempt_count) parts.push_back(fmt::format("preempt_count 0x{:x}", lc.preempt_count));
  if (lc.irqs_disabled) parts.push_back("irqs disabled");
  if (lc.in_interrupt) parts.push_back("in interrupt (locks not tracked)");
  if (lc.truncated) parts.push_back("more locks held than captured");
  if (lc.provider == LockProvider::off) parts.push_back("lock tracking off");
  std::string s;
  for (size_t i = 0; i < parts.size(); i++) s += (i ? ", " : "") + parts[i];
  return s;
}

}  // namespace modrace::checker
