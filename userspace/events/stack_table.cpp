// SPDX-License-Identifier: GPL-2.0-only
#include "events/stack_table.h"

namespace modrace {

StackTable::StackTable() { stacks_.emplace_back(); }

size_t StackTable::Hash::operator()(const std::vector<uint64_t>& v) const noexcept {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the frames
  for (uint64_t f : v) {
    h ^= f;
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

StackId StackTable::intern(std::span<const uint64_t> frames) {
  if (frames.empty()) return 0;
  std::vector<uint64_t> key(frames.begin(), frames.end());
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  StackId id = next_id();
  stacks_.push_back(key);
  index_.emplace(std::move(key), id);
  return id;
}

bool StackTable::insert(StackId id, std::span<const uint64_t> frames) {
  if (id == 0) return false;
  if (id < stacks_.size() && !stacks_[id].empty()) return false;
  if (id >= stacks_.size()) stacks_.resize(id + 1);
  stacks_[id].assign(frames.begin(), frames.end());
  index_.emplace(stacks_[id], id);
  return true;
}

std::span<const uint64_t> StackTable::frames(StackId id) const {
  if (id >= stacks_.size()) return {};
  return stacks_[id];
}

}  // namespace modrace
