// SPDX-License-Identifier: GPL-2.0-only
//
// preempt-only-get: a try_module_get() whose only cover against the module's unload is that it
// blocks RCU grace periods without an RCU read side of its own: preemption or interrupts
// disabled (a spinlock or rwlock, preempt_disable(), local_irq_save()), or, on PREEMPT_RT, the
// rcu_read_lock() that rt_spin_lock() takes for each spinlock_t held. free_module waits for a
// grace period, so the module's memory outlives the get; the objects its exit frees do not.
// unprotected_get::judge decides when a get is this; this file records and explains it.
#include <fmt/format.h>

#include "analyzer/rules/rule.h"

namespace modrace::checker::preempt_only_get {

void judge(RuleContext& ctx, uint32_t sig_idx, uint64_t count,
           const std::vector<UnloadLockRec>& profile, bool earlier) {
  Site& site = ctx.sites.site(ctx.sites.sig(sig_idx).site);
  site.tally.preempt_only += count;
  bool created = false;
  auto& f = ctx.findings.for_sig(Rule::preempt_only_get, ctx.sites, sig_idx, profile, &created);
  if (created) {
    // The verdict rests on the unload path's locks and on the held set, like unprotected-get's.
    f.loss_sensitive = true;
    f.lock_sensitive = true;
    if (earlier) f.detail = "judged against an earlier unload of the module";
  }
  f.count += count;
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); i++) s += (i ? ", " : "") + v[i];
  return s;
}

// What blocked grace periods at the get, in the kernel's words.
std::string cover_text(const Finding& f, const LockContext& lc) {
  std::vector<std::string> rt, other;
  auto held = lc.held();
  for (size_t i = 0; i < held.size() && i < f.locks_held.size(); i++) {
    const HeldLock& h = held[i];
    if (h.rt_implicit_rcu())
      rt.push_back(f.locks_held[i].name);
    else if (h.kind == LockKind::spinlock || h.kind == LockKind::rwlock_read ||
             h.kind == LockKind::rwlock_write)
      other.push_back(f.locks_held[i].name);
  }
  std::vector<std::string> parts;
  if (!rt.empty())
    parts.push_back(fmt::format(
        "the RCU read side that PREEMPT_RT's spin_lock/read_lock/write_lock take implicitly "
        "(holding {})",
        join(rt)));
  if (lc.preempt_count)
    parts.push_back(other.empty() ? "preemption disabled (preempt_disable() or a raw spinlock)"
                                  : fmt::format("preemption disabled by {}", join(other)));
  if (lc.irqs_disabled) parts.push_back("interrupts disabled");
  if (parts.empty()) parts.push_back("disabled preemption");
  return join(parts);
}

}  // namespace

void explain(Finding& f, const FindingAcc& a) {
  std::vector<std::string> held, unload;
  for (const auto& l : f.locks_held) held.push_back(l.name);
  // The unload's locks, in report order (the unregister path's own first): those the reader
  // compares with are named, the rest of the loader's and core teardown's counted (JSON lists
  // them all).
  constexpr size_t kNamed = 4;
  size_t others = 0;
  for (const auto& l : f.unload_locks)
    if (l.module_code || unload.size() < kNamed)
      unload.push_back(l.name);
    else
      others++;
  std::string unload_text = unload.empty() ? "takes no lock" : "takes " + join(unload);
  if (others) unload_text += fmt::format(" and {} more", others);
  f.message = fmt::format(
      "{} took a reference on {} with {}() holding {}, none of which {}'s unload path takes "
      "(it {}); its only cover is {}. That blocks RCU grace periods, so {}'s module memory (code "
      "and static data, freed by free_module after a grace period) stays valid until the get is "
      "done. It does not keep alive the objects {}'s exit frees itself: unless the exit waits "
      "for a grace period between unlinking an object and freeing it, the object can be freed "
      "between its lookup and the get, which then reads its owner from freed memory{}.",
      display_function(f), f.module, f.op, held.empty() ? "no lock" : "only " + join(held),
      f.module, unload_text, cover_text(f, a.locks), f.module, f.module,
      a.detail.empty() ? "" : " (" + a.detail + ")");
  std::string fn = display_function(f);
  std::string lock = held.empty() ? "the lock of the list it is looked up on" : join(held);
  f.fix = fmt::format(
      "take {} in the unregister path of {} too, before the object is freed, so the exit waits "
      "for the lookup and the {} in {}; or make the lookup an explicit rcu_read_lock() section "
      "and unlink with list_del_rcu() followed by synchronize_rcu() (or free with kfree_rcu()) "
      "in the unregister path, as __sock_create's lookup relies on",
      lock, f.module, f.op, fn);
}

}  // namespace modrace::checker::preempt_only_get
