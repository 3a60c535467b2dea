// SPDX-License-Identifier: GPL-2.0-only
//
// Export to the Chrome trace-event JSON format, which ui.perfetto.dev (and chrome://tracing)
// opens: a track per task with an instant per refcount/driver/delete_module event, a refcount
// counter track per module, lock-held spans inferred from consecutive lock snapshots of a task,
// and optional findings as instants on their own track.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "events/source.h"

namespace modrace {

// A marker to show at a point in time; the analyzer's findings become these.
struct PerfettoInstant {
  uint64_t ts_ns = 0;
  std::string title;
  std::vector<std::pair<std::string, std::string>> args;
};

struct PerfettoOptions {
  std::vector<std::string> ko_files;      // for file:line in symbolized addresses
  std::vector<PerfettoInstant> findings;  // shown on the "findings" track
};

// Streams the whole source to `out`. Memory is bounded by tasks, modules and open lock spans.
// Returns the number of trace events written.
uint64_t export_perfetto(EventSource& src, std::ostream& out, const PerfettoOptions& opts = {});

}  // namespace modrace
