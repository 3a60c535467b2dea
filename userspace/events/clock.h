// SPDX-License-Identifier: GPL-2.0-only
//
// The clocks events are stamped with, in nanoseconds, and how a timestamp is shown.
// BPF's bpf_ktime_get_ns is CLOCK_MONOTONIC; the wall clock is kept only to date a recording.
#pragma once

#include <time.h>

#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace modrace {

inline uint64_t clock_ns(clockid_t clk) {
  timespec ts{};
  clock_gettime(clk, &ts);
  return uint64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
inline uint64_t monotonic_ns() { return clock_ns(CLOCK_MONOTONIC); }
inline uint64_t realtime_ns() { return clock_ns(CLOCK_REALTIME); }

// "12.345678": seconds with microseconds, as `info` and the text report show timestamps.
inline std::string seconds_text(uint64_t ns) {
  return fmt::format("{}.{:06}", ns / 1000000000, ns % 1000000000 / 1000);
}

}  // namespace modrace
