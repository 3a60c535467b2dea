// SPDX-License-Identifier: GPL-2.0-only
//
// Human and JSON renderings of single events, shared by `modrace dump`, the perfetto export and
// whoever else needs to show an event (module pointers named through a ModuleTracker fed with
// the stream so far, addresses through a FrameFormatter).
#pragma once

#include <string>

#include "events/event.h"
#include "events/stack_table.h"
#include "trace/json_object.h"
#include "trace/module_tracker.h"
#include "trace/symbolize.h"

namespace modrace {

struct EventFormatContext {
  const ModuleTracker& modules;
  const FrameFormatter& frames;
  SymbolView symbols;  // as of the event being formatted (EventSource::event_epoch)
  std::string frame(uint64_t addr) const { return frames.format(symbols, addr); }
};

// "name(0xffff...)" or just the pointer when the module was never seen loading.
std::string format_module(uint64_t module, const ModuleTracker& modules);
// "locks=[misc_mtx:mutex@misc_open+0x20] rcu=1 preempt=0 irqs=off"
std::string format_lock_context(const LockContext& lc, const EventFormatContext& ctx);
// The payload fields of `ev` as "key=value ..." (no timestamp/task prefix).
std::string format_payload(const Event& ev, const EventFormatContext& ctx);
// One perf-script-like line: "comm pid/tid [cpu] sec.nsec: kind: payload", printable().
std::string format_event_line(const Event& ev, const EventFormatContext& ctx);
// The event as one JSON object: a "kind" field and every payload field, addresses also
// symbolized, added to `obj` (the caller may add more, as dump's "stack", before obj.text()).
void add_event_json(const Event& ev, const EventFormatContext& ctx, JsonObject& obj);

}  // namespace modrace
