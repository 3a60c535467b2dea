// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. The one integer hash its indexes and caches share.
#pragma once

#include <cstdint>

namespace modrace::checker {

inline uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace modrace::checker
