// SPDX-License-Identifier: GPL-2.0-only
//
// What `record` and `live` do with modules, in one place so the trace file and the live
// analyzer see the same: the modules loaded before tracing started become module_load events,
// and each module_load brings, when the kernel did not walk them, its symbols from /proc/kallsyms.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/symbols.h"
#include "loader/kallsyms.h"

namespace modrace::loader {

class Tracer;

// The modules loaded before tracing started (preexisting_modules), as module_load events at
// `ts_ns` from this process (pid/tid and comm "modrace").
std::vector<Event> preexisting_module_events(const Kallsyms& ksyms, uint64_t ts_ns);

// The symbols of a module just loaded, read from /proc/kallsyms when the tracer cannot walk
// them in the kernel (they vanish at unload, often before this read under slow kernels); empty
// when the tracer walks them (they arrive through its symbol sink).
std::vector<KernelSymbol> symbols_after_load(const Tracer& tracer, const ModuleLoad& m);

}  // namespace modrace::loader
