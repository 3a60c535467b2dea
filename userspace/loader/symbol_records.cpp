// SPDX-License-Identifier: GPL-2.0-only
#include "loader/symbol_records.h"

namespace modrace::loader {

void SymbolRecordOwners::on_event(const Event& ev) {
  if (const auto* m = std::get_if<ModuleLoad>(&ev.data)) {
    if (!m->preexisting) names_[m->module] = m->name;  // preexisting: symbols from kallsyms
  } else if (const auto* f = std::get_if<ModuleFree>(&ev.data)) {
    names_.erase(f->module);
  }
}

bool SymbolRecordOwners::name(uint64_t module, KernelSymbol& sym) {
  auto it = names_.find(module);
  if (it == names_.end()) {
    unnamed_++;
    return false;
  }
  sym.module = it->second;
  return true;
}

}  // namespace modrace::loader
