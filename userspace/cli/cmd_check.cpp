// SPDX-License-Identifier: GPL-2.0-only
// `modrace check`: what this kernel supports, one line per attach point.
#include <sys/utsname.h>

#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/tracing_options.h"
#include "events/error.h"
#include "events/log.h"
#include "loader/tracer.h"

namespace modrace::cli {

void add_check_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "check",
      "Show which attach points, methods and lock providers this kernel supports "
      "(exit 2 when recording cannot work)");
  auto opts = std::make_shared<TracingOptions>();
  add_locks_option(sub, *opts, "Lock provider: auto, lockdep, probe, off");
  add_kprobe_only_flag(sub, *opts);
  add_verbose_flag(sub, *opts, "Show libbpf's log");
  sub->callback([opts] {
    log::set_verbose(opts->verbose);
    utsname u{};
    uname(&u);
    fmt::print("kernel: {} {}\n", u.release, u.machine);
    loader::TracerOptions to = tracer_options(*opts);
    // Load and attach for real: only that proves a probe works (it is detached on exit).
    auto tracer = loader::Tracer::open(to);
    bool missing_required = false;
    for (const auto& s : tracer->probes()) {
      const auto& p = *s.point;
      std::string state = s.attached ? "ok" : (s.method.empty() ? "missing" : "failed");
      if (!s.attached && p.required) missing_required = true;
      if (!s.attached && s.method.empty() && s.why.rfind("not needed", 0) == 0) state = "unused";
      // Two programs share the module_load tracepoint; name the symbol walk apart.
      std::string what = std::string(p.id) == "module_syms" ? "module_load (symbols)" : p.function;
      fmt::print("{:<8} {:<11} {:<30} {:<10}{}{}\n", state, loader::to_string(p.group), what,
                 s.method.empty() ? "-" : s.method, s.why.empty() ? "" : "  ", s.why);
    }
    fmt::print("locks: provider {}\n", to_string(tracer->lock_provider()));
    fmt::print("module symbols: {}\n",
               tracer->module_symbols_from_bpf()
                   ? "walked in the kernel at module_load"
                   : "read from /proc/kallsyms after each load (fallback: modules unloaded at "
                     "once stay unnamed)");
    const auto& pm = tracer->preempt_model();
    fmt::print("preemption: {}{} ({})\n", pm.model, pm.source.empty() ? "" : " from " + pm.source,
               pm.task_cannot_preempt_probes()
                   ? "lock-probe recursion misses are nested interrupts: lock_recursion_irq, "
                     "not a loss"
                   : "lock-probe recursion misses may be task lock operations: lock_recursion, "
                     "a loss");
    const auto& c = tracer->calibration();
    for (int i = 0; i < 2; i++)
      fmt::print("calibration {}: {}\n", i == 0 ? "kprobe" : "fentry",
                 c.measured[i] ? fmt::format("preempt_count {} rcu_depth {} (subtracted)",
                                             c.preempt[i], c.rcu[i])
                               : std::string("not measured"));
    if (missing_required) throw Error("a required attach point is missing: recording cannot work");
    fmt::print("recording: possible\n");
  });
}

}  // namespace modrace::cli
