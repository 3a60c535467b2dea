// SPDX-License-Identifier: GPL-2.0-only
//
// Caller classification off the hot path: module text (ModuleTable's index), then vmlinux
// symbols.
#include "analyzer/callers.h"

namespace modrace::checker {

Caller CallerIndex::classify_slow(uint64_t ip, const EventSource& src) {
  if (Instance* i = modules_.text_owner(ip)) return {i, CoreFn::none, true};
  auto it = core_cache_.find(ip);
  if (it != core_cache_.end()) return it->second;
  Caller c;
  auto r = src.symbols().at(src.event_epoch()).resolve(ip);
  if (r.symbol && r.symbol->module.empty()) {
    c.resolved = true;
    c.core = classify_core_function(r.symbol->name);
  }
  // Only cache once symbols exist: a live source may fill its table after the first events.
  if (!src.symbols().empty()) core_cache_.emplace(ip, c);
  return c;
}

}  // namespace modrace::checker
