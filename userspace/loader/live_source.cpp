// SPDX-License-Identifier: GPL-2.0-only
#include "loader/live_source.h"

#include "loader/modules.h"

namespace modrace::loader {

LiveSource::LiveSource(std::unique_ptr<Tracer> tracer, const std::atomic<bool>& stop)
    : tracer_(std::move(tracer)), stop_(stop) {
  meta_ = tracer_->trace_meta();
  for (const auto& s : tracer_->kallsyms().symbols()) symbols_.add(s);
  // Symbols walked in the kernel at module_load arrive after that event and before the next.
  tracer_->set_symbol_sink([this](std::span<const KernelSymbol> syms) {
    for (const auto& s : syms) symbols_.add(s);
    symbols_.finalize();
  });
  for (auto& ev : preexisting_module_events(tracer_->kallsyms(), meta_.start_ts_ns)) on_event(ev);
  symbols_.finalize();
}

void LiveSource::on_event(Event& ev) {
  SymbolEpoch epoch = symbols_.note(ev);
  if (auto* m = std::get_if<ModuleLoad>(&ev.data); m && !m->preexisting) {
    for (auto& s : symbols_after_load(*tracer_, *m)) symbols_.add(std::move(s));
    symbols_.finalize();
  }
  queue_.emplace_back(std::move(ev), epoch);
}

bool LiveSource::next(Event& ev) {
  std::function<void(Event&)> fn = [this](Event& e) { on_event(e); };
  while (queue_.empty()) {
    if (drained_) return false;
    if (stop_.load()) {
      // Drain what the kernel already produced, then end.
      while (tracer_->poll(0, fn) > 0) {
      }
      drained_ = true;
      meta_.drops = tracer_->drops();
      continue;
    }
    tracer_->poll(200, fn);
  }
  ev = std::move(queue_.front().first);
  epoch_ = queue_.front().second;
  queue_.pop_front();
  return true;
}

}  // namespace modrace::loader
