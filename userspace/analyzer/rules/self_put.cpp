// SPDX-License-Identifier: GPL-2.0-only
//
// self-put: module_put() from the module's own code that can drop the last reference, so the
// module can be unloaded and its text freed while that code is still running.
#include <fmt/format.h>

#include "analyzer/module_loader.h"
#include "analyzer/rules/rule.h"

namespace modrace::checker::self_put {

void on_put(RuleContext& ctx, const Event& ev, const RefcountOp& r, const Instance& inst,
            const Caller& c) {
  if (c.inst != &inst) return;
  // The module's own code dropped what may be the last reference.
  bool last = false;
  if (r.refcount >= 0)
    last = r.refcount <= kRefBase;
  else
    last = inst.exact() && inst.refs.user_refs() == 0 && inst.refs.core_refs == 0 &&
           !inst.refs.initial_ref;
  // References left but all taken by other tasks are not enough: the putting call chain often
  // releases one of them itself right after (loop: __loop_clr_fd inside blkdev_put). See
  // docs/protocol.md, self-put.
  if (!last) return;
  auto& f = ctx.findings.for_put(Rule::self_put, inst.name_id, ev, ctx.epoch, r, c);
  f.count++;
  if (f.detail.empty()) f.detail = "dropped the last reference";
  f.loss_sensitive |= r.refcount < 0;
}

void explain(Finding& f, const FindingAcc& a) {
  const std::string& fn = display_function(f);
  f.message = fmt::format(
      "{} (inside {}) called module_put() on its own module and {}{}: {} can be unloaded "
      "and its text freed while {} is still executing.",
      fn, f.module, a.detail,
      a.refcount >= 0 ? fmt::format(" (refcnt {} after the put)", a.refcount) : "", f.module, fn);
  f.fix = fmt::format(
      "do not drop the reference from {}'s own code: let the subsystem put it "
      "after the callback returns (.owner = THIS_MODULE), or use "
      "module_put_and_kthread_exit() in a kthread",
      f.module);
}

}  // namespace modrace::checker::self_put
