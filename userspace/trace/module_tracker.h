// SPDX-License-Identifier: GPL-2.0-only
//
// Follows module lifetimes through an event stream, so that post-mortem tools can name a
// `struct module *` the way the kernel did at that moment (pointers are reused across reloads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/event.h"

namespace modrace {

struct ModuleInstance {
  uint64_t module = 0;  // struct module *
  std::string name;
  uint64_t core_text_start = 0, core_text_size = 0;
  bool preexisting = false;
  uint64_t load_ts_ns = 0;
  std::optional<uint64_t> free_ts_ns;
};

class ModuleTracker {
 public:
  // Feed every event in stream order.
  void observe(const Event& ev);
  // The instance the pointer names now (the latest load at that address), nullptr if unknown.
  const ModuleInstance* find(uint64_t module) const;
  // The module name, or "" when the pointer was never seen in a module_load.
  std::string_view name_of(uint64_t module) const;
  // Every instance seen, in load order.
  const std::vector<ModuleInstance>& instances() const { return all_; }

 private:
  std::vector<ModuleInstance> all_;
  std::unordered_map<uint64_t, size_t> current_;  // pointer -> index in all_
};

}  // namespace modrace
