// SPDX-License-Identifier: GPL-2.0-only
//
// Per-site verdicts: merge by (module, symbolized site, op), then the verdict ladder.
#include "analyzer/site_verdicts.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "analyzer/kernel_idioms.h"

namespace modrace::checker {

void SiteFindings::offer(const FindingAcc& a, const std::string& id) {
  if (a.has_site && (!rule_.count(a.site) || rank(a.rule) > rank(rule_[a.site])) &&
      a.rule != Rule::ref_leak) {
    rule_[a.site] = a.rule;
    id_[a.site] = id;
  }
}

const std::string* SiteFindings::find(uint32_t i, int* rk) const {
  auto f = id_.find(i);
  if (f == id_.end()) return nullptr;
  *rk = rank(rule_.at(i));
  return &f->second;
}

namespace {

// One symbolized site: the sites of every load merged.
struct SiteAgg {
  SiteReport r;
  SiteTally tally;
  std::string protecting, own_lock;
  std::string finding;
  int finding_rank = 0;
};

void judge_site(SiteAgg& g) {
  SiteReport& r = g.r;
  const SiteTally& t = g.tally;
  if (!g.finding.empty()) {
    r.verdict = SiteVerdict::finding;
    r.finding_id = g.finding;
  } else if (t.unprotected || t.preempt_only || t.lock_incomplete || t.cross_instance ||
             t.no_unload || t.idiom) {
    r.verdict = SiteVerdict::unverified;
    const KernelIdiom* idiom = t.idiom ? kernel_idiom(r.function) : nullptr;
    if (idiom)
      r.reason = fmt::format(
          "no lock shared with the unload path; a known kernel idiom instead, which locks "
          "cannot show: {} ({}; docs/scenarios.md)",
          idiom->guarantee, idiom->since);
    else if (t.unprotected)
      r.reason =
          "no lock shared with the unload path, but events or lock information were "
          "lost (incomplete)";
    else if (t.preempt_only)
      r.reason =
          "only disabled preemption covers the get (module memory, not the objects the exit "
          "frees), but events or lock information were lost (incomplete)";
    else if (t.lock_incomplete)
      r.reason =
          "lock information incomplete at the get (truncated snapshot, interrupt "
          "context or lock tracking off) and the captured locks do not protect it";
    else if (t.cross_instance)
      r.reason = fmt::format(
          "this load of the module was never unloaded in the trace, and {} is in an object of "
          "this load (not a static), so an earlier load's unload cannot show whether it takes "
          "that lock",
          g.own_lock);
    else
      r.reason = "the module was never unloaded in the trace: no unload path to compare with";
  } else if (t.prot_lock) {
    r.verdict = SiteVerdict::protected_;
    r.protected_by = g.protecting;
  } else if (t.prot_rcu) {
    r.verdict = SiteVerdict::protected_;
    r.protected_by = "rcu";
  } else if (t.by_ref) {
    r.verdict = SiteVerdict::by_reference;
    r.reason = "the caller already held a reference on the module";
  } else if (t.self) {
    r.verdict = SiteVerdict::by_reference;
    r.reason = "__module_get from the module's own code";
  } else if (t.core) {
    r.verdict = SiteVerdict::core;
    r.reason = "module loader bookkeeping";
  } else {
    r.verdict = SiteVerdict::unverified;
    r.reason = "no verdict could be reached";
  }
}

}  // namespace

void add_site_verdicts(Report& rep, const SiteTable& sites, const ModuleTable& modules,
                       const SiteFindings& named, const SymbolTable& syms) {
  // Sites: every get site, merged by (module, symbolized site, op).
  std::vector<SiteAgg> aggs;
  std::unordered_map<std::string, size_t> agg_index;
  for (uint32_t i = 0; i < sites.sites(); i++) {
    const Site& s = sites.site(i);
    const SymbolView names = syms.at(s.first.epoch);
    std::string fn;
    std::string text =
        site_text(s.caller_ip, s.caller_mod, s.caller_off, s.caller_in_init, names, modules, &fn);
    std::string op = s.op == EventKind::try_module_get ? "try_module_get" : "__module_get";
    std::string key = modules.name(s.name_id) + '\0' + text + '\0' + op;
    auto [it, fresh] = agg_index.emplace(key, aggs.size());
    if (fresh) {
      aggs.emplace_back();
      aggs.back().r.module = modules.name(s.name_id);
      aggs.back().r.site = text;
      aggs.back().r.function = fn;
      aggs.back().r.op = op;
    }
    SiteAgg& g = aggs[it->second];
    g.r.count += s.count;
    g.tally += s.tally;
    if (s.tally.cross_instance && g.own_lock.empty())
      g.own_lock = names.lock_name(s.own_lock.addr, s.own_lock.class_key);
    if (s.has_protecting && g.protecting.empty())
      g.protecting = protection_name(s.protecting, names);
    for (const auto& l : s.locks_seen) {
      auto name = names.lock_name(l.addr, l.class_key);
      if (std::find(g.r.locks_held.begin(), g.r.locks_held.end(), name) == g.r.locks_held.end())
        g.r.locks_held.push_back(name);
    }
    int rk = 0;
    if (const std::string* id = named.find(i, &rk))
      if (rk > g.finding_rank) g.finding = *id, g.finding_rank = rk;
  }
  for (auto& g : aggs) {
    judge_site(g);
    rep.sites.push_back(std::move(g.r));
  }
  std::stable_sort(rep.sites.begin(), rep.sites.end(),
                   [](const SiteReport& a, const SiteReport& b) {
                     if (a.module != b.module) return a.module < b.module;
                     return a.site < b.site;
                   });
}

}  // namespace modrace::checker
