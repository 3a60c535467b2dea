// SPDX-License-Identifier: GPL-2.0-only
#include "trace/module_tracker.h"

namespace modrace {

void ModuleTracker::observe(const Event& ev) {
  if (const auto* l = std::get_if<ModuleLoad>(&ev.data)) {
    ModuleInstance m;
    m.module = l->module;
    m.name = l->name;
    m.core_text_start = l->core_text_start;
    m.core_text_size = l->core_text_size;
    m.preexisting = l->preexisting;
    m.load_ts_ns = ev.ts_ns;
    current_[l->module] = all_.size();
    all_.push_back(std::move(m));
    return;
  }
  if (const auto* f = std::get_if<ModuleFree>(&ev.data)) {
    // The pointer keeps naming the freed instance: a late put on it is exactly what the
    // user wants to see named.
    auto it = current_.find(f->module);
    if (it != current_.end()) all_[it->second].free_ts_ns = ev.ts_ns;
  }
}

const ModuleInstance* ModuleTracker::find(uint64_t module) const {
  auto it = current_.find(module);
  return it == current_.end() ? nullptr : &all_[it->second];
}

std::string_view ModuleTracker::name_of(uint64_t module) const {
  const auto* m = find(module);
  return m ? std::string_view(m->name) : std::string_view();
}

}  // namespace modrace
