// SPDX-License-Identifier: GPL-2.0-only
//
// Ring-buffer records (bpf/modrace_abi.h) -> the event model (events/event.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "events/event.h"
#include "events/stack_table.h"
#include "events/symbols.h"

namespace modrace::loader {

// Stack frames for which this returns true are dropped from the innermost end of a stack (the
// BPF program and trampoline frames fentry stacks start with).
using FrameFilter = std::function<bool(uint64_t)>;

// Converts one record. False (and `ev` unspecified) when the record is malformed: unknown kind,
// size mismatch. Stacks are interned into `stacks`.
bool decode_record(const void* data, size_t size, StackTable& stacks, Event& ev,
                   const FrameFilter& own_frame = {});

// An ABI lock kind (enum mr_lock_kind) as a LockKind; a value out of range reads as a mutex.
LockKind lock_kind_from_abi(uint32_t kind);

// True when the record is a module symbol (MR_REC_MODULE_SYMBOL), not an event.
bool is_symbol_record(const void* data, size_t size);
// Converts a module symbol record: `module` is its struct module *, `sym.module` is left empty
// (the name comes from that pointer's module_load event). False when malformed.
bool decode_symbol(const void* data, size_t size, uint64_t& module, KernelSymbol& sym);

// True when the record names a lockdep class (MR_REC_LOCK_CLASS).
bool is_lock_class_record(const void* data, size_t size);
// Converts it into a symbol of type kLockClassSymbolType (addr = class key). False when malformed.
bool decode_lock_class(const void* data, size_t size, KernelSymbol& sym);

}  // namespace modrace::loader
