// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. SiteTable: the get sites (target module, caller ip, op) and their
// lock signatures (the unit the lock rule judges, since one site can be reached with different
// locks held), interned, with the per-site verdict tallies.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/callers.h"
#include "analyzer/findings.h"
#include "analyzer/hash.h"
#include "analyzer/locks.h"
#include "events/event.h"
#include "events/symbols.h"

namespace modrace::checker {

// How often a site's gets got each verdict (summed over its sigs and over the sites one
// symbolized site merges in the report).
struct SiteTally {
  uint64_t by_ref = 0, prot_lock = 0, prot_rcu = 0, unprotected = 0, no_unload = 0,
           lock_incomplete = 0, core = 0, self = 0, cross_instance = 0;
  uint64_t preempt_only = 0;  // preempt-only-get verdicts (module memory kept, objects not)
  uint64_t idiom = 0;         // unprotected by locks, at a known kernel idiom's site
  SiteTally& operator+=(const SiteTally& o) {
    by_ref += o.by_ref;
    prot_lock += o.prot_lock;
    prot_rcu += o.prot_rcu;
    unprotected += o.unprotected;
    no_unload += o.no_unload;
    cross_instance += o.cross_instance;
    lock_incomplete += o.lock_incomplete;
    core += o.core;
    self += o.self;
    preempt_only += o.preempt_only;
    idiom += o.idiom;
    return *this;
  }
};

// The first occurrence of a site, sig or finding: the event's task, stack and time, and the
// symbol epoch its addresses are named at (the module loads live then).
struct FirstSeen {
  StackId stack = 0;
  uint32_t pid = 0, tid = 0;
  Comm comm{};
  uint64_t ts = 0;
  SymbolEpoch epoch = 0;
  static FirstSeen of(const Event& ev, SymbolEpoch epoch) {
    return {ev.stack, ev.pid, ev.tid, ev.comm, ev.ts_ns, epoch};
  }
};

struct Site {
  uint32_t name_id = 0;  // target module
  uint64_t caller_ip = 0;
  EventKind op = EventKind::try_module_get;
  int64_t caller_mod = -1;  // name id of the module whose text holds caller_ip, -1 vmlinux
  uint64_t caller_off = 0;
  bool caller_in_init = false;
  uint64_t count = 0;
  SiteTally tally;
  HeldLock protecting{};
  bool has_protecting = false;
  // Whether the site's function is a known kernel idiom (kernel_idioms.h): -1 not asked yet. A
  // site is one caller ip in one load, so its function never changes; asked once, it spares a
  // view of the symbols' past at each unload that judges the site.
  int8_t idiom = -1;
  HeldLock own_lock{};               // the first lock that kept a cross_instance get from a verdict
  std::vector<HeldLock> locks_seen;  // union over its sigs, capped
  FirstSeen first;
  Widening widen;  // --widen: gets held here, and those that hit the unload
};

struct Sig {
  uint32_t site = 0;
  LockContext locks;
  bool incomplete = false;
  FirstSeen first;
};

class SiteTable {
 public:
  // The sig of a get: (site, lock signature), creating the site as needed. One hash lookup on
  // the hot path.
  // A site is one caller ip in one caller module: another module loaded at the same address
  // later has sites of its own. `epoch`: the event's, for a new site's or sig's first occurrence.
  uint32_t sig_for(uint32_t name_id, const RefcountOp& r, EventKind op, const Caller& c,
                   const Event& ev, SymbolEpoch epoch) {
    // Only what decides protection is part of the signature: which locks (address, kind),
    // whether a grace period is blocked and by an explicit RCU read side or by preemption only,
    // whether the snapshot is complete.
    const LockContext& lc = r.locks;
    bool incomplete = lock_info_incomplete(lc);
    const int64_t caller_mod = c.inst ? int64_t(c.inst->name_id) : -1;
    uint64_t h = mix64(r.caller_ip ^ (uint64_t(name_id) << 40) ^ (uint64_t(op) << 56) ^
                       uint64_t(caller_mod + 1) << 20) ^
                 (lc.blocks_grace_period() ? 0x51ull : 0) ^ (incomplete ? 0xa3ull : 0) ^
                 (lc.preemption_only() ? 0x3cull : 0);
    for (const auto& l : lc.held()) h = mix64(h ^ l.addr ^ (uint64_t(l.kind) << 60));
    auto same = [&](const Sig& s) {
      const Site& site = sites_[s.site];
      if (site.caller_ip != r.caller_ip || site.name_id != name_id || site.op != op ||
          site.caller_mod != caller_mod || s.incomplete != incomplete ||
          s.locks.blocks_grace_period() != lc.blocks_grace_period() ||
          s.locks.preemption_only() != lc.preemption_only() || s.locks.nr_locks != lc.nr_locks)
        return false;
      for (int i = 0; i < lc.nr_locks; i++)
        if (s.locks.locks[i].addr != lc.locks[i].addr || s.locks.locks[i].kind != lc.locks[i].kind)
          return false;
      return true;
    };
    for (;; h++) {
      auto it = sig_index_.find(h);
      if (it == sig_index_.end()) break;
      if (same(sigs_[it->second])) return it->second;
    }
    return add_sig(h, name_id, r, op, c, FirstSeen::of(ev, epoch), incomplete);
  }

  Site& site(uint32_t i) { return sites_[i]; }
  const Site& site(uint32_t i) const { return sites_[i]; }
  const Sig& sig(uint32_t i) const { return sigs_[i]; }
  uint32_t sites() const { return static_cast<uint32_t>(sites_.size()); }

 private:
  uint32_t add_sig(uint64_t h, uint32_t name_id, const RefcountOp& r, EventKind op, const Caller& c,
                   const FirstSeen& first, bool incomplete);
  uint32_t site_for(uint32_t name_id, const RefcountOp& r, EventKind op, const Caller& c,
                    const FirstSeen& first);

  std::vector<Site> sites_;
  std::unordered_map<uint64_t, uint32_t> site_index_;  // hash -> first candidate
  std::vector<Sig> sigs_;
  std::unordered_map<uint64_t, uint32_t> sig_index_;
};

// A caller as text: symbolized, never raw, where possible, since the finding id built from it
// must survive reboots (KASLR); else module-relative, else the raw address.
std::string site_text(uint64_t ip, int64_t caller_mod, uint64_t off, bool in_init, SymbolView syms,
                      const ModuleTable& modules, std::string* function);

}  // namespace modrace::checker
