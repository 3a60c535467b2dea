// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. UnloadPath: the locks one module's unload took (inside its
// delete_module and at its driver_unregister calls), kept as the path the lock rules compare
// gets against once the unload completes; UnloadProfiles: the last such path per module name.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "analyzer/locks.h"

namespace modrace::checker {

class UnloadPath {
 public:
  // A delete_module began at symbol epoch `e`, or failed (a failed unload ran no exit path and
  // proves nothing).
  void begin(SymbolEpoch e) {
    attempt_.clear();
    epoch_ = e;
  }
  void abandon() { attempt_.clear(); }
  // A lock the running delete_module took.
  void add(const UnloadLockRec& l) { add_unique(attempt_, l); }
  // A lock held at a driver_unregister of a driver this module owns.
  void add_driver(const UnloadLockRec& l) { add_unique(driver_, l); }
  // The unload completed: both sets together become this load's unload path.
  const std::vector<UnloadLockRec>& commit() {
    for (const auto& l : driver_) add_unique(attempt_, l);
    return attempt_;
  }
  // The unload path once committed (the locks so far before).
  const std::vector<UnloadLockRec>& path() const { return attempt_; }
  // When the delete_module began: its locks are recorded then but arrive at its exit, after the
  // module's free closed its symbols, so they are named as of this epoch (the module still live).
  SymbolEpoch epoch() const { return epoch_; }

 private:
  std::vector<UnloadLockRec> attempt_;  // of the delete_module in progress, then the path
  std::vector<UnloadLockRec> driver_;   // held at driver_unregister(owner == this)
  SymbolEpoch epoch_ = 0;
};

class UnloadProfiles {
 public:
  void remember(uint32_t name_id, const std::vector<UnloadLockRec>& path) {
    by_name_[name_id] = path;
  }
  // The latest completed unload of the module, nullptr when none was seen.
  const std::vector<UnloadLockRec>* last(uint32_t name_id) const {
    auto p = by_name_.find(name_id);
    return p == by_name_.end() ? nullptr : &p->second;
  }

 private:
  std::unordered_map<uint32_t, std::vector<UnloadLockRec>> by_name_;
};

}  // namespace modrace::checker
