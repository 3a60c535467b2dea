// SPDX-License-Identifier: GPL-2.0-only
//
// self-get: try_module_get() on a module from the module's own code. Nothing pins the module
// while that code runs, so the get cannot stop an unload already under way. When every such get
// was made by a task that already held a reference (the kernel's own fops_get in snd_open, whose
// cdev reference chrdev_open took), nothing could race: the get is only redundant (info).
#include <fmt/format.h>

#include "analyzer/rules/rule.h"

namespace modrace::checker::self_get {

void on_get(RuleContext& ctx, const Event& ev, uint32_t site, bool by_ref) {
  // For __module_get (documented as "you must already hold a reference") code inside the
  // module is the usual THIS_MODULE pin, not this rule.
  if (ev.kind != EventKind::try_module_get) return;
  auto& f = ctx.findings.for_site(Rule::self_get, ctx.sites, site, &ev, ctx.epoch);
  f.count++;
  if (!by_ref) f.unpinned++;
}

void explain(Finding& f, const FindingAcc& a) {
  if (a.unpinned == 0) {
    f.severity = Severity::info;
    f.message = fmt::format(
        "{} (inside {}) called try_module_get() on its own module, each time from a task that "
        "already held a reference on {}: that reference keeps {} loaded, so this get cannot "
        "race with its unload; it is redundant.",
        display_function(f), f.module, f.module, f.module);
    f.fix = "nothing is required; the get can be dropped (the caller's reference pins the module)";
    return;
  }
  f.message = fmt::format(
      "{} (inside {}) called try_module_get() on its own module: nothing pins {} while "
      "this code runs, so the get cannot stop an unload that is already under way{}.",
      display_function(f), f.module, f.module,
      a.unpinned < a.count
          ? fmt::format(" ({} of {} gets by a task holding no reference)", a.unpinned, a.count)
          : "");
  f.fix = fmt::format(
      "take the reference outside {} (set .owner = THIS_MODULE and let the "
      "caller's subsystem pin it), or drop the get if a reference is "
      "already held",
      f.module);
}

}  // namespace modrace::checker::self_get
