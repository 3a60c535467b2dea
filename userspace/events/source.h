// SPDX-License-Identifier: GPL-2.0-only
//
// One stream of events, whatever produced it: the live ring buffer, a trace file, a synthetic
// generator, or a test's vector. The analyzer consumes only this.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "events/event.h"
#include "events/stack_table.h"
#include "events/symbols.h"
#include "events/trace_meta.h"

namespace modrace {

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Fills `ev` with the next event; false at the end of the stream. Fatal input errors throw
  // modrace::Error (userspace/events/error.h) naming the file and offset.
  virtual bool next(Event& ev) = 0;
  // Valid from the start; drops and truncation are final once next() returned false.
  virtual const TraceMeta& meta() const = 0;
  // Stacks referenced by the events returned so far.
  virtual const StackTable& stacks() const = 0;
  // Symbols known so far (module symbols arrive as their modules load).
  virtual const SymbolTable& symbols() const = 0;
  // The symbol epoch of the event next() returned last: its addresses are named by
  // symbols().at(event_epoch()), the module loads live when it happened.
  virtual SymbolEpoch event_epoch() const { return symbols().epoch(); }
};

// A source over a vector, for tests. Like a trace, it can bring symbols as the stream goes:
// `timeline` entries (k, symbol) are added just before event k is returned, so a module's
// symbols declared after its module_load belong to that load.
class VectorSource final : public EventSource {
 public:
  using SymbolTimeline = std::vector<std::pair<size_t, KernelSymbol>>;
  VectorSource(std::vector<Event> events, TraceMeta meta = {}, StackTable stacks = {},
               SymbolTable symbols = {}, SymbolTimeline timeline = {})
      : events_(std::move(events)),
        meta_(std::move(meta)),
        stacks_(std::move(stacks)),
        symbols_(std::move(symbols)),
        timeline_(std::move(timeline)) {
    add_symbols_until(0);
  }
  bool next(Event& ev) override {
    if (pos_ >= events_.size()) {
      add_symbols_until(SIZE_MAX);
      return false;
    }
    add_symbols_until(pos_);
    ev = events_[pos_++];
    epoch_ = symbols_.note(ev);
    return true;
  }
  const TraceMeta& meta() const override { return meta_; }
  const StackTable& stacks() const override { return stacks_; }
  const SymbolTable& symbols() const override { return symbols_; }
  SymbolEpoch event_epoch() const override { return epoch_; }

 private:
  void add_symbols_until(size_t k) {
    bool added = false;
    for (; next_symbol_ < timeline_.size() && timeline_[next_symbol_].first <= k; next_symbol_++)
      symbols_.add(timeline_[next_symbol_].second), added = true;
    if (added || k == 0) symbols_.finalize();
  }
  std::vector<Event> events_;
  size_t pos_ = 0;
  TraceMeta meta_;
  StackTable stacks_;
  SymbolTable symbols_;
  SymbolTimeline timeline_;
  size_t next_symbol_ = 0;
  SymbolEpoch epoch_ = 0;
};

}  // namespace modrace
