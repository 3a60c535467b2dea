// SPDX-License-Identifier: GPL-2.0-only
#include "events/stack_table.h"

namespace modrace {

StackTable::StackTable() : stacks_(1), ids_(1, 0) {}

size_t StackTable::Hash::operator()(std::span<const uint64_t> v) const noexcept {
  // Two multiply chains over alternate frames: every stack recorded is looked up here, and one
  // chain's latency was most of the lookup.
  uint64_t a = 0x9e3779b97f4a7c15ull ^ v.size(), b = 0xc2b2ae3d27d4eb4full;
  size_t i = 0;
  for (; i + 1 < v.size(); i += 2) {
    a = (a ^ v[i]) * 0xff51afd7ed558ccdull;
    b = (b ^ v[i + 1]) * 0xc4ceb9fe1a85ec53ull;
  }
  if (i < v.size()) a = (a ^ v[i]) * 0xff51afd7ed558ccdull;
  uint64_t h = a ^ (b >> 29) ^ (b << 35);
  return static_cast<size_t>(h ^ (h >> 32));
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
  auto it = first_id_.find(frames);
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
