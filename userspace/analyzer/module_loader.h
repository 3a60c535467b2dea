// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. What the kernel's module loader does that the model must know:
// refcount base, the errnos of a busy unload, and which loader functions' refcount operations
// are its own bookkeeping.
#pragma once

#include <cstdint>
#include <string_view>

namespace modrace::checker {

constexpr int64_t kEBUSY = 16;
constexpr int64_t kEWOULDBLOCK = 11;  // == EAGAIN: delete_module(O_NONBLOCK) on a busy module
constexpr int32_t kRefBase = 1;       // MODULE_REF_BASE: refcnt of a live module with no users

// Functions of the module loader whose refcount operations are the core's own bookkeeping.
enum class CoreFn : uint8_t { none, init_drop, dep_get, dep_put, other };

CoreFn classify_core_function(std::string_view fn);

}  // namespace modrace::checker
