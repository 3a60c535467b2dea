// SPDX-License-Identifier: GPL-2.0-only
//
// What is known about a recording as a whole: where it was made, how, and what was lost.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"

namespace modrace {

// a + b, or UINT64_MAX when that does not fit: a count of losses never wraps to "none".
constexpr uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

// Counters come from the kernel and from trace files, which may be crafted: every sum
// saturates, and a counter at UINT64_MAX (saturated()) means the real count is unknown.
struct DropCounters {
  std::array<uint64_t, kDropCauseMax> by_cause{};
  uint64_t& operator[](DropCause c) { return by_cause[static_cast<int>(c)]; }
  uint64_t operator[](DropCause c) const { return by_cause[static_cast<int>(c)]; }
  // Adds `n` drops of cause `c`, saturating.
  void add(DropCause c, uint64_t n) { (*this)[c] = saturating_add((*this)[c], n); }
  // Drops that lost whole events (the analysis is incomplete when non-zero).
  uint64_t lost_events() const { return (*this)[DropCause::ringbuf_full]; }
  // Drops that lost lock information (lock verdicts become unverified).
  uint64_t lost_lock_info() const {
    return saturating_add(
        saturating_add((*this)[DropCause::lock_table], (*this)[DropCause::task_storage]),
        (*this)[DropCause::lock_recursion]);
  }
  // A counter (or a sum of them) reached UINT64_MAX: how much was lost is unknown, and the
  // analysis is incomplete whatever the cause.
  bool saturated() const {
    for (uint64_t v : by_cause)
      if (v == UINT64_MAX) return true;
    return total() == UINT64_MAX || lost_lock_info() == UINT64_MAX;
  }
  // Counted for the record but losing nothing beyond what the events themselves say
  // (lock_recursion_irq; task_storage_marked: the affected snapshots are marked truncated).
  static constexpr bool is_informational(DropCause c) {
    return c == DropCause::lock_recursion_irq || c == DropCause::task_storage_marked;
  }
  // Why an informational cause loses nothing beyond what the events say, in a few words.
  static std::string_view informational_note(DropCause c);
  uint64_t informational() const {
    return saturating_add((*this)[DropCause::lock_recursion_irq],
                          (*this)[DropCause::task_storage_marked]);
  }
  // Drops that lost information of any kind (what "zero drops" means).
  uint64_t total() const {
    uint64_t t = 0;
    for (int c = 0; c < kDropCauseMax; c++)
      if (!is_informational(static_cast<DropCause>(c))) t = saturating_add(t, by_cause[c]);
    return t;
  }
  // One line for the recorder's status: "0", or the losses by cause ("ringbuf_full=3
  // lock_table=1"), then the informational ones ("(lock_recursion_irq=5, not a loss)").
  std::string describe() const;
};

struct TraceMeta {
  std::string kernel_release;  // uname -r of the traced kernel
  std::string hostname;
  std::string modrace_version;  // of the recorder
  LockProvider lock_provider = LockProvider::off;
  std::vector<std::string> features;  // attach methods chosen, e.g. "try_module_get=kprobe"
  uint64_t start_ts_ns = 0;           // CLOCK_MONOTONIC at recording start
  uint64_t start_realtime_ns = 0;     // wall clock at recording start
  DropCounters drops;                 // final once the source is exhausted
  // Set by file sources when the trace ended early (writer killed, corrupt tail).
  bool truncated = false;
  uint64_t truncated_at_offset = 0;
  std::string truncation_reason;
};

}  // namespace modrace
