// SPDX-License-Identifier: GPL-2.0-only
#include "cli/tracing_options.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "events/error.h"
#include "events/log.h"

namespace modrace::cli {

void add_tracing_options(CLI::App* sub, TracingOptions& o) {
  sub->add_option("--duration", o.duration, "Stop after S seconds")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            double d = 0;
            if (!CLI::detail::lexical_cast(s, d) || !std::isfinite(d) || d <= 0)
              return "a positive number of seconds, not '" + s + "'";
            return {};
          },
          "SECONDS"));
  add_locks_option(sub, o);
  sub->add_option("--module", o.modules, "Only refcount events of this module (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("--ringbuf-size", o.ringbuf_size, "Ring buffer size (power of two; K/M/G)")
      ->capture_default_str();
  sub->add_option("--ready-file", o.ready_file, "Create this file once the probes are attached");
  add_kprobe_only_flag(sub, o);
  sub->add_option("--widen", o.widen,
                  fmt::format("Hold gets at this site for DURATION before try_module_get runs, to "
                              "confirm a race (SITE as reports print it: 'func+0x2c [mod]', "
                              "func@mod; DURATION default {}ms, at most {}ms; repeatable, up to "
                              "{} sites; needs Linux 5.17)",
                              loader::kWidenDefaultUs / 1000, loader::kWidenMaxUs / 1000,
                              loader::kMaxWidenSites))
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  add_verbose_flag(sub, o);
  sub->add_option("command", o.command,
                  "Command to run while tracing (after --); tracing stops when it exits");
}

void add_locks_option(CLI::App* sub, TracingOptions& o, const std::string& help) {
  sub->add_option("--locks", o.locks, help)->capture_default_str();
}

void add_kprobe_only_flag(CLI::App* sub, TracingOptions& o) {
  sub->add_flag("--kprobe-only", o.kprobe_only, "Do not use fentry anywhere");
}

void add_verbose_flag(CLI::App* sub, TracingOptions& o, const std::string& help) {
  sub->add_flag("-v,--verbose", o.verbose, help);
}

loader::TracerOptions tracer_options(const TracingOptions& o) {
  if (o.duration < 0)
    throw Error(fmt::format("--duration: must not be negative, got {}", o.duration));
  loader::TracerOptions to;
  to.locks = loader::lock_mode_from_string(o.locks);
  to.modules = o.modules;
  to.ringbuf_size = parse_size(o.ringbuf_size);
  to.prefer_kprobe = o.kprobe_only;
  for (const auto& w : o.widen) to.widen.push_back(loader::parse_widen(w));
  return to;
}

void note_widen_totals(const loader::Tracer& tracer, const TracingOptions& o) {
  if (o.widen.empty()) return;
  auto t = tracer.widen_totals();
  log::note("widen: {} gets held ({:.1f} ms in all), {} not held (budget of {} ms/s spent)", t.held,
            double(t.held_ns) / 1e6, t.capped, loader::kWidenBudgetUs / 1000);
}

uint64_t parse_size(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  uint64_t v = std::strtoull(s.c_str(), &end, 10);
  if (errno || end == s.c_str()) throw Error("--ringbuf-size: not a size: '" + s + "'");
  std::string suffix(end);
  if (suffix == "K" || suffix == "k" || suffix == "KiB")
    v <<= 10;
  else if (suffix == "M" || suffix == "m" || suffix == "MiB")
    v <<= 20;
  else if (suffix == "G" || suffix == "g" || suffix == "GiB")
    v <<= 30;
  else if (!suffix.empty())
    throw Error("--ringbuf-size: unknown suffix in '" + s + "'");
  return v;
}

}  // namespace modrace::cli
