// SPDX-License-Identifier: GPL-2.0-only
//
// --widen SITE[=DURATION]: which get sites bpf/widen.bpf.h holds, and for how long. A SITE is
// written as reports print it; it is resolved to addresses from the symbols of its module as
// they arrive (the kallsyms snapshot at start, each load's symbols after), so the module may
// load after recording started. Pure functions, unit-tested in tests/unit/widen_test.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "events/symbols.h"

namespace modrace::loader {

inline constexpr uint32_t kWidenDefaultUs = 5000;  // 5 ms: many times an open under TCG
// The BPF side's bounds (bpf/modrace_abi.h, asserted equal in widen.cpp).
inline constexpr uint32_t kWidenMaxUs = 50000;      // one get
inline constexpr uint32_t kWidenBudgetUs = 250000;  // all gets of one second, all CPUs
inline constexpr size_t kMaxWidenSites = 8;

struct WidenSpec {
  std::string text;                // as given, for messages
  std::string function;            // the caller's function
  std::optional<uint64_t> offset;  // a return address inside it (function+0xOFF), or the whole
                                   // function when absent
  std::string module;              // the caller's module, empty for vmlinux
  uint32_t delay_us = kWidenDefaultUs;
};

// "seed_open+0x2c [seed_core]", "seed_open+0x2c@seed_core", "seed_open@seed_core" or
// "misc_open" (vmlinux), each optionally followed by "=DURATION" (5ms, 500us; a bare number is
// ms; at most MR_WIDEN_MAX_US). Throws modrace::Error, "--widen: ...", on anything else.
WidenSpec parse_widen(std::string_view arg);

// The return addresses `spec` covers, [start, end), if `syms` (one module load's symbols, or the
// kallsyms snapshot) hold its function; a whole function without a known size ends at the next
// symbol of its module.
std::optional<std::pair<uint64_t, uint64_t>> resolve_widen(const WidenSpec& spec,
                                                           std::span<const KernelSymbol> syms);

}  // namespace modrace::loader
