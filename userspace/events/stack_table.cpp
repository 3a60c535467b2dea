// SPDX-License-Identifier: GPL-2.0-only
#include "events/stack_table.h"

namespace modrace {

StackTable::StackTable() : stacks_(1), ids_(1, 0) {}

size_t StackTable::Hash::operator()(const std::vector<uint64_t>& v) const noexcept {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the frames
  for (uint64_t f : v) {
    h ^= f;
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

StackId StackTable::add_id(std::span<const uint64_t> frames) {
  auto id = static_cast<StackId>(ids_.size());
  auto [it, added] = first_id_.try_emplace(std::vector<uint64_t>(frames.begin(), frames.end()), id);
  if (added) stacks_.push_back(it->first);
  ids_.push_back(added ? static_cast<uint32_t>(stacks_.size() - 1) : ids_[it->second]);
  return it->second;
}

StackId StackTable::intern(std::span<const uint64_t> frames) {
  if (frames.empty()) return 0;
  auto it = first_id_.find(std::vector<uint64_t>(frames.begin(), frames.end()));
  return it != first_id_.end() ? it->second : add_id(frames);
}

StackId StackTable::define(std::span<const uint64_t> frames) {
  if (frames.empty()) return 0;
  add_id(frames);
  return next_id() - 1;
}

std::span<const uint64_t> StackTable::frames(StackId id) const {
  if (id >= ids_.size()) return {};
  return stacks_[ids_[id]];
}

}  // namespace modrace
