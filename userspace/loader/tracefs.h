// SPDX-License-Identifier: GPL-2.0-only
//
// What the kernel's tracefs says about it, read without libbpf (unit-tested on made-up
// directories): which functions the kernel can ftrace, so fentry can attach to them.
#pragma once

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace modrace::loader {

// Which of `wanted` the kernel can ftrace, from the first of `tracefs_dirs` that answers:
// fentry attaches only where available_filter_functions lists a function (functions built
// without -pg, lockdep's lock_acquire say, are in BTF but not there); none at all when tracefs
// has no such file (no function tracer in the kernel). Empty optional when no tracefs can be
// read (not mounted, no privilege): BTF alone decides then.
std::optional<std::unordered_set<std::string>> ftrace_locations(
    const std::unordered_set<std::string>& wanted, const std::vector<std::string>& tracefs_dirs);

}  // namespace modrace::loader
