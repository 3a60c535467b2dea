// SPDX-License-Identifier: GPL-2.0-only
//
// get-while-going: a reference taken on a module being unloaded or already freed, i.e. the
// unload race window actually hit. Gets after GOING or after the free are findings at once; a get
// the kernel refused while the unload ran is judged when the unload completes.
#include <fmt/format.h>

#include "analyzer/rules/rule.h"

namespace modrace::checker::get_while_going {

void on_get(RuleContext& ctx, const Event& ev, Instance& inst, uint32_t sig, bool success) {
  // GOING is announced (module_state) after the exit ran, so any get after it, or after
  // module_free, found a stale object. A get refused during the unload, before that, is the
  // kernel doing its job - unless the unload path had already been through the get's lock, or
  // the get holds nothing the unload path takes: decided when the unload completes (on_unload).
  const char* going = inst.freed                         ? "after module_free"
                      : inst.state == ModuleState::going ? "after its exit ran (GOING announced)"
                      : success && inst.exit_began       ? "while its unload was running"
                                                         : nullptr;
  // A get --widen held that this rule reports is the window hit on purpose: it confirms the
  // site's finding (docs/protocol.md, "Confirming a finding").
  const bool widened = ev.refcount().widen == WidenMark::held;
  const uint32_t site = ctx.sites.sig(sig).site;
  if (going) {
    auto& f = ctx.findings.for_site(Rule::get_while_going, ctx.sites, site, &ev, ctx.epoch);
    f.count++;
    if (widened) ctx.sites.site(site).widen.hits++;
    f.loss_sensitive = true;
    if (f.detail.empty()) f.detail = going;
  } else if (!success && inst.unloading) {
    auto& g = inst.going_gets[sig];
    g.count++;
    g.widened += widened;
    g.last_ts = ev.ts_ns;
  }
}

void on_unload(RuleContext& ctx, Instance& inst, const std::vector<UnloadLockRec>& profile) {
  for (auto& [sig_idx, g] : inst.going_gets) {
    const Sig& sig = ctx.sites.sig(sig_idx);
    std::string detail;
    const UnloadLockRec* u = nullptr;
    if (shared_lock(sig.locks, profile, &u)) {
      // Protected by L only if the unload path had not been through L yet: otherwise the
      // object was found before L was taken, and the unregister already unlinked it.
      if (u->ts == 0 || u->ts >= g.last_ts) continue;
      detail =
          "after the unload path had already taken (and released) a lock this get holds: "
          "the object was looked up before the lock was taken";
    } else if (sig.incomplete) {
      continue;  // cannot tell
    } else if (sig.locks.preemption_only()) {
      // Module memory outlived the lookup; the object the exit unlinks and frees did not wait.
      detail =
          "while it was being unloaded, covered only by disabled preemption (or PREEMPT_RT's "
          "implicit RCU of spin_lock), which keeps its module memory but not the objects its "
          "exit frees";
    } else if (sig.locks.blocks_grace_period()) {
      continue;  // an rcu_read_lock() reader: the unregister waits for it
    } else {
      detail = "while it was being unloaded, holding no lock its unload path takes";
    }
    bool created = false;
    auto& f = ctx.findings.for_sig(Rule::get_while_going, ctx.sites, sig_idx, profile, &created);
    if (created) {
      f.loss_sensitive = true;
      // Both details rest on the held-lock set: a lost release leaves a stale lock in it (dated
      // before the unload), a lost acquire hides the lock that made the get legitimate.
      f.lock_sensitive = true;
      f.detail = detail;
    }
    f.count += g.count;
    ctx.sites.site(sig.site).widen.hits += g.widened;
  }
  inst.going_gets.clear();
}

void explain(Finding& f, const FindingAcc& a) {
  f.message = fmt::format(
      "{} called {}() on {} {}: the unload race window was actually hit. The object the get "
      "was looked up through belongs to a module on its way out; only timing kept its "
      "memory valid.",
      display_function(f), f.op, f.module, a.detail);
  f.fix = unprotected_get::fix(f);
}

}  // namespace modrace::checker::get_while_going
