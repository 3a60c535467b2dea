// SPDX-License-Identifier: GPL-2.0-only
#include "events/symbols.h"

#include <algorithm>

#include <fmt/format.h>

namespace modrace {

void SymbolTable::add(KernelSymbol sym) {
  if (sym.type == kLockClassSymbolType) {
    lock_classes_[sym.addr] = std::move(sym.name);
    return;
  }
  syms_.push_back(std::move(sym));
}

std::optional<std::string> SymbolTable::lock_class(uint64_t key) const {
  auto it = lock_classes_.find(key);
  if (it == lock_classes_.end()) return std::nullopt;
  return it->second;
}

void SymbolTable::add_module_range(std::string module, uint64_t start, uint64_t size) {
  ranges_.push_back({std::move(module), start, size});
}

namespace {
// Several kallsyms names can share one address: lockdep's zero-sized `__key.N` class keys (on
// kernels without lockdep) sit at the address of the lock that follows them, e.g. `__key.0` and
// `file_systems_lock`. The name a developer recognises must win, so it sorts last among equals
// (resolve() takes the last symbol at or below an address).
int name_rank(const KernelSymbol& s) {
  const std::string& n = s.name;
  if (n.starts_with("__key.") || n.starts_with("__UNIQUE_ID") || n.starts_with("__already_done") ||
      n.starts_with("__func__.") || n.starts_with("__warned.") || n.starts_with("_entry.") ||
      n.starts_with("__print_once"))
    return 0;
  if (n.starts_with("__")) return 1;
  return 2;
}
}  // namespace

void SymbolTable::finalize() {
  std::stable_sort(syms_.begin(), syms_.end(), [](const KernelSymbol& a, const KernelSymbol& b) {
    if (a.addr != b.addr) return a.addr < b.addr;
    return name_rank(a) < name_rank(b);
  });
}

const SymbolTable::Range* SymbolTable::module_range(uint64_t addr) const {
  // The latest range wins: a module loaded where an unloaded one was.
  for (auto it = ranges_.rbegin(); it != ranges_.rend(); ++it)
    if (addr >= it->start && addr - it->start < it->size) return &*it;
  return nullptr;
}

ResolvedAddress SymbolTable::resolve(uint64_t addr) const {
  auto it = std::upper_bound(syms_.begin(), syms_.end(), addr,
                             [](uint64_t a, const KernelSymbol& s) { return a < s.addr; });
  if (it == syms_.begin()) return {};
  const KernelSymbol* sym = &*std::prev(it);
  // Inside a module's text, only that module's own symbols may name the address: without them
  // the nearest symbol below is some other module's or a BPF trampoline's, which would be wrong.
  if (const Range* r = module_range(addr)) {
    if (sym->module != r->module || sym->addr < r->start) return {};
  } else {
    // An address past the end of a module's text does not belong to its last symbol.
    for (const auto& m : ranges_)
      if (m.module == sym->module && sym->addr >= m.start && sym->addr - m.start < m.size &&
          addr - m.start >= m.size)
        return {};
  }
  // Do not attribute addresses absurdly far from any symbol (e.g. vmalloc to the last vmlinux sym).
  if (addr - sym->addr > (1u << 20)) return {};
  return {sym, addr - sym->addr};
}

std::string SymbolTable::format(uint64_t addr) const {
  auto r = resolve(addr);
  if (!r.symbol) {
    // Named relative to the module's text, which is stable across boots (KASLR) and loads.
    if (const Range* m = module_range(addr))
      return fmt::format(".text+0x{:x} [{}]", addr - m->start, m->module);
    return fmt::format("0x{:x}", addr);
  }
  std::string s = fmt::format("{}+0x{:x}", r.symbol->name, r.offset);
  if (!r.symbol->module.empty()) s += fmt::format(" [{}]", r.symbol->module);
  return s;
}

std::optional<uint64_t> SymbolTable::lookup(std::string_view name) const {
  for (const auto& s : syms_)
    if (s.name == name) return s.addr;
  return std::nullopt;
}

const KernelSymbol* SymbolTable::data_symbol(uint64_t addr) const {
  auto r = resolve(addr);
  if (!r.symbol || r.offset > 4096) return nullptr;
  char t = static_cast<char>(r.symbol->type | 0x20);  // lower-case
  if (t != 'd' && t != 'b' && t != 'r') return nullptr;
  return r.symbol;
}

std::string SymbolTable::lock_name(uint64_t addr, uint64_t class_key) const {
  if (class_key)
    if (auto cls = lock_class(class_key)) return *cls;
  if (auto n = name_data(addr)) return *n;
  return fmt::format("0x{:x}", addr);
}

std::optional<std::string> SymbolTable::name_data(uint64_t addr) const {
  const KernelSymbol* sym = data_symbol(addr);
  if (!sym) return std::nullopt;
  if (addr == sym->addr) return sym->name;
  return fmt::format("{}+0x{:x}", sym->name, addr - sym->addr);
}

}  // namespace modrace
