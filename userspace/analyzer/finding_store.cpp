// SPDX-License-Identifier: GPL-2.0-only
//
// Finding accumulation: the index, and how a new finding records its first occurrence.
#include "analyzer/finding_store.h"

#include "analyzer/hash.h"

namespace modrace::checker {

FindingAcc& FindingStore::find_or_add(Rule rule, uint32_t name_id, uint64_t caller_ip,
                                      int64_t caller_mod, bool* created) {
  uint64_t h = mix64(caller_ip ^ (uint64_t(name_id) << 40) ^ (uint64_t(rule) << 58) ^
                     uint64_t(caller_mod + 1) << 20);
  for (;; h++) {
    auto it = finding_index_.find(h);
    if (it == finding_index_.end()) break;
    auto& f = findings_[it->second];
    if (f.rule == rule && f.name_id == name_id && f.caller_ip == caller_ip &&
        f.caller_mod == caller_mod) {
      *created = false;
      return f;
    }
  }
  auto idx = static_cast<uint32_t>(findings_.size());
  findings_.emplace_back();
  finding_index_.emplace(h, idx);
  new_findings_.push_back(idx);
  auto& f = findings_.back();
  f.rule = rule;
  f.name_id = name_id;
  f.caller_ip = caller_ip;
  f.caller_mod = caller_mod;
  *created = true;
  return f;
}

FindingAcc& FindingStore::for_site(Rule rule, const SiteTable& sites, uint32_t site_idx,
                                   const Event* ev, SymbolEpoch epoch) {
  const Site& s = sites.site(site_idx);
  bool created = false;
  auto& f = find_or_add(rule, s.name_id, s.caller_ip, s.caller_mod, &created);
  if (created) {
    f.site = site_idx;
    f.has_site = true;
    f.caller_off = s.caller_off;
    f.caller_in_init = s.caller_in_init;
    f.op = s.op;
    if (ev) {
      f.first = FirstSeen::of(*ev, epoch);
      if (auto* lc = ev->locks()) f.locks = *lc;
      if (ev->kind == EventKind::try_module_get || ev->kind == EventKind::module_get)
        f.refcount = ev->refcount().refcount;
    } else {
      f.first = s.first;
    }
  }
  return f;
}

FindingAcc& FindingStore::for_sig(Rule rule, const SiteTable& sites, uint32_t sig_idx,
                                  const std::vector<UnloadLockRec>& profile, bool* created) {
  const Sig& sig = sites.sig(sig_idx);
  const Site& site = sites.site(sig.site);
  auto& f = find_or_add(rule, site.name_id, site.caller_ip, site.caller_mod, created);
  if (*created) {
    f.site = sig.site;
    f.has_site = true;
    f.caller_off = site.caller_off;
    f.caller_in_init = site.caller_in_init;
    f.op = site.op;
    f.first = sig.first;
    f.locks = sig.locks;
    f.unload_locks = profile;
  }
  return f;
}

FindingAcc& FindingStore::for_put(Rule rule, uint32_t name_id, const Event& ev, SymbolEpoch epoch,
                                  const RefcountOp& r, const Caller& c) {
  bool created = false;
  auto& f =
      find_or_add(rule, name_id, r.caller_ip, c.inst ? int64_t(c.inst->name_id) : -1, &created);
  if (created) {
    f.op = ev.kind;
    place_caller(f, r.caller_ip, c);
    f.first = FirstSeen::of(ev, epoch);
    f.locks = r.locks;
    f.refcount = r.refcount;
  }
  return f;
}

}  // namespace modrace::checker
