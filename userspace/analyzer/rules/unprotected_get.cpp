// SPDX-License-Identifier: GPL-2.0-only
//
// unprotected-get: a try_module_get() holding no lock the module's unload path takes, and not
// blocking RCU grace periods (blocking them by disabled preemption alone: preempt-only-get). Judged
// when the module's unload completes, against the locks that unload took; gets of loads never seen
// unloaded are judged at the end against the module's last unload, or left unverified.
#include <fmt/format.h>

#include "analyzer/kernel_idioms.h"
#include "analyzer/rules/rule.h"

namespace modrace::checker::unprotected_get {

namespace {

// Whether a lock is at the same address in every instance of module `mod`: a static of vmlinux or
// of another module. Locks in the module's own data, or in objects allocated for this load (a
// disk's open_mutex), move with each load.
bool same_in_every_load(const HeldLock& l, const std::string& mod, SymbolView syms) {
  const KernelSymbol* sym = syms.data_symbol(l.addr);
  return sym && sym->module != mod;
}

}  // namespace

void judge(RuleContext& ctx, uint32_t sig_idx, uint64_t count,
           const std::vector<UnloadLockRec>& profile, const SymbolTable* earlier) {
  const Sig& sig = ctx.sites.sig(sig_idx);
  Site& site = ctx.sites.site(sig.site);
  // A shared lock is named first (the more useful verdict: read_lock(file_systems_lock) both
  // disables preemption and excludes unregister_filesystem's write_lock).
  const UnloadLockRec* u = nullptr;
  if (const HeldLock* l = shared_lock(sig.locks, profile, &u)) {
    site.tally.prot_lock += count;
    if (!site.has_protecting) site.protecting = credited(*l, *u), site.has_protecting = true;
    return;
  }
  // RCU variant: free_module waits for a grace period before freeing module memory, and the
  // documented protocol (an rcu_read_lock() lookup, unregister unlinking and waiting) keeps the
  // objects too. Only an explicit read side counts: disabled preemption alone is
  // preempt-only-get, below.
  if (sig.locks.blocks_grace_period() && !sig.locks.preemption_only()) {
    site.tally.prot_rcu += count;
    return;
  }
  if (sig.incomplete) {
    site.tally.lock_incomplete += count;
    return;
  }
  // Against an earlier load's unload, a lock of this load's own cannot have been in that path at
  // this address: whether the unload takes it is unknown, not "no".
  if (earlier)
    for (const auto& h : sig.locks.held())
      if (!same_in_every_load(h, ctx.modules.name(site.name_id), earlier->at(sig.first.epoch))) {
        if (!site.tally.cross_instance) site.own_lock = h;
        site.tally.cross_instance += count;
        return;
      }
  // Module memory stays (free_module waits for a grace period), the objects the exit frees do
  // not: a finding of its own, not a protection.
  if (sig.locks.preemption_only()) {
    preempt_only_get::judge(ctx, sig_idx, count, profile, earlier != nullptr);
    return;
  }
  // A known kernel idiom's site: safe for a reason no lockset shows (kernel_idioms.h).
  if (site.idiom < 0 && ctx.symbols)
    // Kept once named: a live source may bring a load's symbols after its first events.
    if (auto r = ctx.symbols->at(sig.first.epoch).resolve(site.caller_ip); r.symbol)
      site.idiom = kernel_idiom(r.symbol->name) != nullptr;
  if (site.idiom > 0) {
    site.tally.idiom += count;
    return;
  }
  site.tally.unprotected += count;
  bool created = false;
  auto& f = ctx.findings.for_sig(Rule::unprotected_get, ctx.sites, sig_idx, profile, &created);
  if (created) {
    f.loss_sensitive = true;
    f.lock_sensitive = true;
    if (earlier) f.detail = "judged against an earlier unload of the module";
  }
  f.count += count;
}

void on_unload(RuleContext& ctx, Instance& inst, const std::vector<UnloadLockRec>& profile) {
  for (auto& [sig, n] : inst.pending) judge(ctx, sig, n, profile);
  inst.pending.clear();
}

// Gets on instances never seen unloaded: judged against the module's last unload (another load of
// it), or unverified when it was never unloaded at all.
void judge_orphans(RuleContext& ctx, OrphanGets& orphans, const UnloadProfiles& profiles,
                   const SymbolTable& syms) {
  for (auto [sig, n] : orphans) {
    Site& site = ctx.sites.site(ctx.sites.sig(sig).site);
    if (const auto* profile = profiles.last(site.name_id))
      judge(ctx, sig, n, *profile, &syms);
    else
      site.tally.no_unload += n;
  }
  orphans.clear();
}

void explain(Finding& f, const FindingAcc& a) {
  std::string held;
  bool srcu = false;
  for (size_t i = 0; i < f.locks_held.size(); i++) {
    srcu |= f.locks_held[i].kind == LockKind::srcu_read;
    held += (i ? ", " : "") + f.locks_held[i].name +
            (f.locks_held[i].kind == LockKind::srcu_read ? " (SRCU read side)" : "");
  }
  f.message = fmt::format(
      "{} took a reference on {} with {}() holding {}, none of which {}'s unload path "
      "takes{}, and without blocking RCU grace periods: {} can be unloaded and freed between "
      "the lookup of its object and the get{}.",
      display_function(f), f.module, f.op, held.empty() ? "no lock" : "only " + held, f.module,
      srcu ? " or waits for (synchronize_srcu)" : "", f.module,
      a.detail.empty() ? "" : " (" + a.detail + ")");
  f.fix = fix(f);
}

std::string fix(const Finding& f) {
  const std::string& fn = display_function(f);
  // Inside an SRCU read side that the unload did not wait for: the unregister path should. (When
  // it did, as in a get-while-going after the wait, the lookup was outside the read side.)
  auto waited = [&](const LockDesc& l) {
    for (const auto& u : f.unload_locks)
      if (u.kind == LockKind::srcu_sync && u.addr == l.addr) return true;
    return false;
  };
  for (const auto& l : f.locks_held)
    if (l.kind == LockKind::srcu_read && !waited(l))
      return fmt::format(
          "the lookup and the {} in {} run inside srcu_read_lock(&{}): unlink the object with "
          "list_del_rcu() and call synchronize_srcu(&{}) in the unregister path of {}, before "
          "its exit returns",
          f.op, fn, l.name, l.name, f.module);
  // Suggest a lock the module's own unregister path takes (taken by module code, not by the
  // loader or core teardown), preferring a named whole object (not a field: "x+0x50") and a
  // sleeping lock, as subsystems guard their lists with; ties go to the first taken.
  auto rank = [](const LockDesc& l) {
    int r = 0;
    if (l.module_code) r += 8;
    if (l.is_static && l.name.find('+') == std::string::npos) r += 4;
    if (l.kind == LockKind::mutex || l.kind == LockKind::rwsem_write) r += 2;
    if (l.name == "module_mutex") r = -1;  // the loader's own lock
    // Not locks to take: an unload's grace-period wait, or a read side.
    if (l.kind == LockKind::srcu_sync || l.kind == LockKind::srcu_read) r = -1;
    return r;
  };
  const LockDesc* best = nullptr;
  for (const auto& l : f.unload_locks)
    if (rank(l) >= 0 && (!best || rank(l) > rank(*best))) best = &l;
  if (best)
    return fmt::format(
        "take {} around the lookup and the {} in {} (the unload path of {} "
        "takes it, at {}), as misc_open does with misc_mtx",
        best->name, f.op, fn, f.module, best->acquired_at.empty() ? best->via : best->acquired_at);
  return fmt::format(
      "hold the lock that protects the list {} is looked up on, and take the "
      "same lock in the unregister path of {}; or do the lookup and the {} "
      "under rcu_read_lock() and unlink with list_del_rcu() before unload "
      "(free_module waits for a grace period), as __sock_create does",
      fn, f.module, f.op);
}

}  // namespace modrace::checker::unprotected_get
