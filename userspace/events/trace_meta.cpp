// SPDX-License-Identifier: GPL-2.0-only
#include "events/trace_meta.h"

#include <fmt/format.h>

namespace modrace {

std::string_view DropCounters::informational_note(DropCause c) {
  return c == DropCause::task_storage_marked ? "only those tasks' gets unverified" : "not a loss";
}

std::string DropCounters::describe() const {
  if (total() == 0 && informational() == 0) return "0";
  std::string out = total() == 0 ? "0" : "";
  for (int i = 0; i < kDropCauseMax; i++)
    if (by_cause[i] && !DropCounters::is_informational(static_cast<DropCause>(i)))
      out += fmt::format("{}{}={}", out.empty() ? "" : " ", to_string(static_cast<DropCause>(i)),
                         by_cause[i]);
  for (int i = 0; i < kDropCauseMax; i++)
    if (by_cause[i] && DropCounters::is_informational(static_cast<DropCause>(i)))
      out += fmt::format(" ({}={}, {})", to_string(static_cast<DropCause>(i)), by_cause[i],
                         informational_note(static_cast<DropCause>(i)));
  return out;
}

}  // namespace modrace
