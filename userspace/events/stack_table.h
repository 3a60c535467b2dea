// SPDX-License-Identifier: GPL-2.0-only
//
// Deduplicated kernel stacks. Events refer to stacks by StackId; id 0 is "no stack".
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "events/event.h"

namespace modrace {

class StackTable {
 public:
  StackTable();
  // Returns the id of `frames` (innermost first), adding it when new. Empty frames -> 0.
  StackId intern(std::span<const uint64_t> frames);
  // Inserts a stack under a given id (trace readers restoring a table). Ids must be new.
  // Returns false when the id is 0 or already used.
  bool insert(StackId id, std::span<const uint64_t> frames);
  // Frames of `id`; empty for 0 or an unknown id.
  std::span<const uint64_t> frames(StackId id) const;
  size_t size() const { return stacks_.size() - 1; }  // number of real stacks
  StackId next_id() const { return static_cast<StackId>(stacks_.size()); }

 private:
  struct Hash {
    size_t operator()(const std::vector<uint64_t>& v) const noexcept;
  };
  std::vector<std::vector<uint64_t>> stacks_;  // [0] is the empty stack
  std::unordered_map<std::vector<uint64_t>, StackId, Hash> index_;
};

}  // namespace modrace
