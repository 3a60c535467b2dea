// SPDX-License-Identifier: GPL-2.0-only
//
// modrace info: what a trace is (header), what it holds (counts, modules) and what it lost
// (drops, truncation). Reads the whole trace once, streaming.
#include <algorithm>
#include <array>
#include <ctime>
#include <iterator>
#include <map>
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "events/clock.h"
#include "events/error.h"
#include "events/printable.h"
#include "trace/module_tracker.h"
#include "trace/trace_file.h"

namespace modrace::cli {

namespace {
std::string wall_clock(uint64_t realtime_ns) {
  if (realtime_ns == 0) return "unknown";
  time_t secs = static_cast<time_t>(realtime_ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

void run_info(const std::string& file) {
  auto src = open_trace(file);
  const TraceMeta& m = src->meta();
  std::array<uint64_t, kEventKindMax> counts{};
  ModuleTracker modules;
  uint64_t total = 0, first_ts = 0, last_ts = 0;
  Event ev;
  while (src->next(ev)) {
    modules.observe(ev);
    counts[static_cast<size_t>(ev.kind)]++;
    first_ts = total == 0 ? ev.ts_ns : std::min(first_ts, ev.ts_ns);
    last_ts = std::max(last_ts, ev.ts_ns);
    total++;
  }

  // Written once at the end, checked (the trace's error, if any, comes after it).
  fmt::memory_buffer buf;
  auto o = std::back_inserter(buf);
  fmt::format_to(o, "file:          {} ({} bytes, format {}.{})\n", file, src->file_size(),
                 src->version_major(), src->version_minor());
  fmt::format_to(o, "kernel:        {}\n",
                 m.kernel_release.empty() ? "unknown" : printable(m.kernel_release));
  if (!m.hostname.empty()) fmt::format_to(o, "hostname:      {}\n", printable(m.hostname));
  if (!m.modrace_version.empty())
    fmt::format_to(o, "recorder:      modrace {}\n", printable(m.modrace_version));
  fmt::format_to(o, "lock provider: {}\n", to_string(m.lock_provider));
  fmt::format_to(
      o, "features:      {}\n",
      m.features.empty() ? "none" : printable(fmt::format("{}", fmt::join(m.features, ", "))));
  fmt::format_to(o, "started:       {} (monotonic {} s)\n", wall_clock(m.start_realtime_ns),
                 seconds_text(m.start_ts_ns));
  fmt::format_to(o, "events:        {}", total);
  if (total > 0) fmt::format_to(o, " over {} s", seconds_text(last_ts - first_ts));
  if (src->complete() && src->end_event_count() != total)
    fmt::format_to(o, " (writer recorded {})", src->end_event_count());
  fmt::format_to(o, "\n");
  for (int k = 1; k < kEventKindMax; k++)
    if (counts[k])
      fmt::format_to(o, "  {:<20} {}\n", to_string(static_cast<EventKind>(k)), counts[k]);
  fmt::format_to(o, "stacks:        {}\n", src->stacks().size());
  fmt::format_to(o, "symbols:       {}\n", src->symbols().size());
  // The count is what lost information; informational causes are listed but not counted.
  fmt::format_to(o, "drops:         {}{}\n",
                 m.drops.total() == 0 ? std::string("none") : fmt::format("{}", m.drops.total()),
                 m.drops.saturated() ? " (saturated: how much was lost is unknown)" : "");
  for (int c = 0; c < kDropCauseMax; c++)
    if (m.drops.by_cause[c])
      fmt::format_to(
          o, "  {:<20} {}{}\n", to_string(static_cast<DropCause>(c)), m.drops.by_cause[c],
          DropCounters::is_informational(static_cast<DropCause>(c))
              ? fmt::format("  ({})", DropCounters::informational_note(static_cast<DropCause>(c)))
              : std::string());
  fmt::format_to(o, "truncated:     {}\n",
                 m.truncated ? "yes: " + printable(m.truncation_reason) : std::string("no"));
  fmt::format_to(o, "modules:       {}{}\n", modules.instances().size(),
                 m.drops.lost_events()
                     ? " seen; loads and unloads among the lost records are missing from this list"
                     : "");
  // Symbols by load (module pointer, load time); the first load wins, as a search would find.
  std::map<std::pair<uint64_t, uint64_t>, size_t> symbols_of;
  for (const auto& l : src->symbols().loads())
    symbols_of.emplace(std::pair(l.module, l.load_ts), src->symbols().image(l).symbols);
  for (const auto& mi : modules.instances()) {
    std::string loaded = mi.preexisting ? "before start" : seconds_text(mi.load_ts_ns);
    std::string freed = mi.free_ts_ns ? seconds_text(*mi.free_ts_ns) : "-";
    auto load = symbols_of.find({mi.module, mi.load_ts_ns});
    fmt::format_to(o, "  {:<24} {:#018x} text {:#018x}+{:#x} loaded {} freed {} symbols {}\n",
                   printable(mi.name), mi.module, mi.core_text_start, mi.core_text_size, loaded,
                   freed, load == symbols_of.end() ? 0 : load->second);
  }
  auto missing = missing_symbols(src->symbols(), m);
  if (!missing.empty()) {
    fmt::format_to(o, "missing symbols: {} module load{}\n", missing.size(),
                   missing.size() == 1 ? "" : "s");
    for (const auto& line : missing) fmt::format_to(o, "  {}\n", printable(line));
  }
  Output out("");
  out.write({buf.data(), buf.size()});
  out.commit();
  if (m.truncated) throw Error(fmt::format("{}: {}", file, m.truncation_reason));
}
}  // namespace

void add_info_command(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("info", "Header, event counts, drops and modules of a trace");
  sub->add_option("FILE", *file, "Trace file")->required();
  sub->callback([file] { run_info(*file); });
}

}  // namespace modrace::cli
