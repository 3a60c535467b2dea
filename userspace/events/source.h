// SPDX-License-Identifier: GPL-2.0-only
//
// One stream of events, whatever produced it: the live ring buffer, a trace file, a synthetic
// generator, or a test's vector. The analyzer consumes only this.
#pragma once

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
};

// A source over a vector, for tests.
class VectorSource final : public EventSource {
 public:
  VectorSource(std::vector<Event> events, TraceMeta meta = {}, StackTable stacks = {},
               SymbolTable symbols = {})
      : events_(std::move(events)),
        meta_(std::move(meta)),
        stacks_(std::move(stacks)),
        symbols_(std::move(symbols)) {}
  bool next(Event& ev) override {
    if (pos_ >= events_.size()) return false;
    ev = events_[pos_++];
    return true;
  }
  const TraceMeta& meta() const override { return meta_; }
  const StackTable& stacks() const override { return stacks_; }
  const SymbolTable& symbols() const override { return symbols_; }

 private:
  std::vector<Event> events_;
  size_t pos_ = 0;
  TraceMeta meta_;
  StackTable stacks_;
  SymbolTable symbols_;
};

}  // namespace modrace
