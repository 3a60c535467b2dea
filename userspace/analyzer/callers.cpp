// SPDX-License-Identifier: GPL-2.0-only
//
// Caller classification off the hot path: module text ranges, then vmlinux symbols.
#include "analyzer/callers.h"

#include <algorithm>

namespace modrace::checker {

void CallerIndex::rebuild_ranges() {
  ranges_.clear();
  freed_ranges_.clear();
  for (auto& [ptr, inst] : modules_.instances()) {
    auto& v = inst->freed ? freed_ranges_ : ranges_;
    if (inst->core_size)
      v.push_back({inst->core_start, inst->core_start + inst->core_size, inst.get()});
    if (inst->init_size)
      v.push_back({inst->init_start, inst->init_start + inst->init_size, inst.get()});
  }
  auto by_start = [](const Range& a, const Range& b) { return a.start < b.start; };
  std::sort(ranges_.begin(), ranges_.end(), by_start);
  std::sort(freed_ranges_.begin(), freed_ranges_.end(), by_start);
  ranges_built_gen_ = modules_.ranges_gen();
}

Caller CallerIndex::classify_slow(uint64_t ip, const EventSource& src) {
  if (ranges_built_gen_ != modules_.ranges_gen()) rebuild_ranges();
  auto find_in = [ip](const std::vector<Range>& v) -> Instance* {
    auto it = std::upper_bound(v.begin(), v.end(), ip,
                               [](uint64_t a, const Range& r) { return a < r.start; });
    if (it == v.begin()) return nullptr;
    --it;
    return ip < it->end ? it->inst : nullptr;
  };
  if (Instance* i = find_in(ranges_)) return {i, CoreFn::none, true};
  if (Instance* i = find_in(freed_ranges_)) return {i, CoreFn::none, true};
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
