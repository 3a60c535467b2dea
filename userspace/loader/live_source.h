// SPDX-License-Identifier: GPL-2.0-only
//
// The live ring buffer as an EventSource, for `modrace live`: the analyzer consumes it exactly
// like a trace file.
#pragma once

#include <atomic>
#include <deque>
#include <memory>

#include "events/source.h"
#include "loader/tracer.h"

namespace modrace::loader {

class LiveSource final : public EventSource {
 public:
  // Takes the tracer; emits the preexisting modules first. `stop` ends the stream (checked at
  // least every 200 ms), after which the ring buffer is drained.
  LiveSource(std::unique_ptr<Tracer> tracer, const std::atomic<bool>& stop);
  bool next(Event& ev) override;
  const TraceMeta& meta() const override { return meta_; }
  const StackTable& stacks() const override { return tracer_->stacks(); }
  const SymbolTable& symbols() const override { return symbols_; }
  SymbolEpoch event_epoch() const override { return epoch_; }
  Tracer& tracer() { return *tracer_; }

 private:
  void on_event(Event& ev);
  std::unique_ptr<Tracer> tracer_;
  const std::atomic<bool>& stop_;
  // Events polled but not yet returned, each with the symbol epoch it happened at.
  std::deque<std::pair<Event, SymbolEpoch>> queue_;
  SymbolEpoch epoch_ = 0;
  TraceMeta meta_;
  SymbolTable symbols_;
  bool drained_ = false;
};

}  // namespace modrace::loader
