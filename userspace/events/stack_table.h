// SPDX-License-Identifier: GPL-2.0-only
//
// Deduplicated kernel stacks. Events refer to stacks by StackId; id 0 is "no stack".
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "events/event.h"

namespace modrace {

// Owns each distinct stack once, however many ids name it.
class StackTable {
 public:
  StackTable();
  // Returns the id of `frames` (innermost first), adding it when new. Empty frames -> 0.
  StackId intern(std::span<const uint64_t> frames);
  // Gives `frames` the next id (trace readers restoring a table, whose ids are in file order)
  // and returns it. A stack defined again costs its id, not another copy of its frames.
  // Empty frames -> 0, and no id.
  StackId define(std::span<const uint64_t> frames);
  // Frames of `id`; empty for 0 or an unknown id.
  std::span<const uint64_t> frames(StackId id) const;
  size_t size() const { return stacks_.size() - 1; }  // number of distinct stacks
  StackId next_id() const { return static_cast<StackId>(ids_.size()); }

 private:
  // Transparent: a stack is looked up as a span of the caller's frames, without a copy.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::span<const uint64_t> v) const noexcept;
  };
  struct Equal {
    using is_transparent = void;
    bool operator()(std::span<const uint64_t> a, std::span<const uint64_t> b) const noexcept {
      return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }
  };
  // Gives `frames` the next id; returns the first id they had, or the new one.
  StackId add_id(std::span<const uint64_t> frames);
  std::vector<std::vector<uint64_t>> stacks_;  // distinct stacks; [0] is the empty stack
  std::vector<uint32_t> ids_;                  // id -> index in stacks_; [0] is 0
  std::unordered_map<std::vector<uint64_t>, StackId, Hash, Equal> first_id_;  // frames -> first id
};

}  // namespace modrace
