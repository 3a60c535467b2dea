// SPDX-License-Identifier: GPL-2.0-only
#include "loader/modules.h"

#include <unistd.h>

#include "loader/tracer.h"

namespace modrace::loader {

std::vector<Event> preexisting_module_events(const Kallsyms& ksyms, uint64_t ts_ns) {
  const auto pid = static_cast<uint32_t>(getpid());
  std::vector<Event> out;
  for (auto& m : preexisting_modules(ksyms)) {
    Event ev;
    ev.kind = EventKind::module_load;
    ev.ts_ns = ts_ns;
    ev.pid = ev.tid = pid;
    ev.set_comm("modrace");
    ev.data = std::move(m);
    out.push_back(std::move(ev));
  }
  return out;
}

std::vector<KernelSymbol> symbols_after_load(const Tracer& tracer, const ModuleLoad& m) {
  if (tracer.module_symbols_from_bpf()) return {};
  return Kallsyms::read_module(m.name);
}

}  // namespace modrace::loader
