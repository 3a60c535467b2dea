// SPDX-License-Identifier: GPL-2.0-only
//
// Ring-buffer records (bpf/modrace_abi.h) -> the event model (events/event.h).
#pragma once

#include <cstddef>
#include <functional>

#include "events/event.h"
#include "events/stack_table.h"

namespace modrace::loader {

// Stack frames for which this returns true are dropped from the innermost end of a stack (the
// BPF program and trampoline frames fentry stacks start with).
using FrameFilter = std::function<bool(uint64_t)>;

// Converts one record. False (and `ev` unspecified) when the record is malformed: unknown kind,
// size mismatch. Stacks are interned into `stacks`.
bool decode_record(const void* data, size_t size, StackTable& stacks, Event& ev,
                   const FrameFilter& own_frame = {});

}  // namespace modrace::loader
