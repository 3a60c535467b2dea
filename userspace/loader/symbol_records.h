// SPDX-License-Identifier: GPL-2.0-only
//
// Which module a symbol record belongs to. The kernel's symbol walk (bpf/module_syms.bpf.h) tags
// each symbol with its struct module *; only the module_load record before it, in ring order,
// carries the name. A struct module is reused by the next load at that address, so a name holds
// from its module_load to its module_free: a symbol at an address whose load was not seen is
// never credited to the module loaded there before, nor to the next one.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "events/event.h"
#include "events/symbols.h"

namespace modrace::loader {

class SymbolRecordOwners {
 public:
  // A module_load names its struct module; a module_free ends that name. Other events change
  // nothing.
  void on_event(const Event& ev);
  // The module a symbol record of `module` belongs to: its name in sym.module and true, or false
  // (counted in unnamed()) when no module_load named that address since its last module_free.
  bool name(uint64_t module, KernelSymbol& sym);
  // Symbols dropped for want of their module_load (the kernel sends none for a load whose record
  // it could not send, bpf/lifecycle.bpf.h; this counts what got through all the same).
  uint64_t unnamed() const { return unnamed_; }

 private:
  std::unordered_map<uint64_t, std::string> names_;
  uint64_t unnamed_ = 0;
};

}  // namespace modrace::loader
