// SPDX-License-Identifier: GPL-2.0-only
//
// put-underflow: module_put() with no reference outstanding, by the kernel's own count when the
// event carries it (no loss can explain that), else by the analyzer's accounting when exact.
#include <fmt/format.h>

#include "analyzer/module_loader.h"
#include "analyzer/rules/rule.h"

namespace modrace::checker::put_underflow {

bool on_put(RuleContext& ctx, const Event& ev, const RefcountOp& r, const Instance& inst,
            const Caller& c, int64_t released) {
  bool underflow = false, from_field = false;
  // While M's delete_module runs, try_release_module_ref has subtracted MODULE_REF_BASE: a user's
  // put racing with it legitimately leaves the raw counter at 0 (the unload then succeeds). Only
  // our own accounting can judge such a put.
  const bool base_claimed = r.refcount == 0 && inst.unloading;
  if (r.refcount >= 0 && !base_claimed) {
    underflow = r.refcount < kRefBase;
    from_field = true;
  } else {
    underflow = released < 0 && inst.exact() && !inst.refs.initial_ref && inst.refs.core_refs == 0;
  }
  if (!underflow) return false;
  auto& f = ctx.findings.for_put(Rule::put_underflow, inst.name_id, ev, ctx.epoch, r, c);
  f.count++;
  f.loss_sensitive |= !from_field;
  return true;
}

void explain(Finding& f, const FindingAcc& a) {
  const std::string& fn = display_function(f);
  f.message =
      fmt::format("{} called module_put() on {} with no reference outstanding{}.", fn, f.module,
                  a.refcount >= 0 ? fmt::format(" (refcnt {} after the put)", a.refcount) : "");
  f.fix = fmt::format("balance the gets and puts on {}: this put in {} has no matching get",
                      f.module, fn);
}

}  // namespace modrace::checker::put_underflow
