// SPDX-License-Identifier: GPL-2.0-only
//
// ref-leak: a module's unload failed busy while references were outstanding, and those
// references were never given back. Judged when the module goes or the trace ends.
#include <algorithm>

#include <fmt/format.h>

#include "analyzer/module_loader.h"
#include "analyzer/rules/rule.h"

namespace modrace::checker::ref_leak {

void on_busy_unload(Instance& inst, int64_t ret) {
  inst.busy_failed = true;
  inst.busy_errno = ret == -kEBUSY ? "-EBUSY" : "-EWOULDBLOCK";
  // Candidates: every attributed reference outstanding now, by the site that took it. Not
  // findings yet: an open in progress holds its reference for a moment and a busy rmmod is
  // then the kernel doing its job. What is still held when the module goes or the trace ends
  // was never given back (judge).
  for (auto& [site, n] : inst.refs.by_site())
    inst.busy_refs[site] = std::max(inst.busy_refs[site], n);
}

void judge(RuleContext& ctx, Instance& inst) {
  const auto& held = inst.refs.by_site();
  for (auto& [site, n_busy] : inst.busy_refs) {
    auto it = held.find(site);
    if (it == held.end()) continue;  // all given back since: not a leak
    auto& f = ctx.findings.for_site(Rule::ref_leak, ctx.sites, site, nullptr, 0);
    f.count = std::max(f.count, std::min(n_busy, it->second));
    f.loss_sensitive = true;
    f.detail = inst.busy_errno;
  }
  inst.busy_refs.clear();
}

void explain(Finding& f, const FindingAcc& a) {
  const std::string& fn = display_function(f);
  f.message = fmt::format(
      "unloading {} failed with {} while {} reference(s) taken by {}() in {} were "
      "still held.",
      f.module, a.detail, a.count, f.op, fn);
  f.refs.push_back({f.site, f.function, a.count});
  f.fix = fmt::format("put the reference taken in {} on every path (release, error paths)", fn);
}

void merge(Finding& into, const Finding& f) {
  into.count = std::max(into.count, f.count);
  into.refs[0].count = into.count;
}

}  // namespace modrace::checker::ref_leak
