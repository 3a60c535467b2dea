// SPDX-License-Identifier: GPL-2.0-only
#include "events/symbols.h"

#include <algorithm>

#include <fmt/format.h>

namespace modrace {

void SymbolTable::add(KernelSymbol sym) { syms_.push_back(std::move(sym)); }

void SymbolTable::add_module_range(std::string module, uint64_t start, uint64_t size) {
  ranges_.push_back({std::move(module), start, size});
}

void SymbolTable::finalize() {
  std::stable_sort(syms_.begin(), syms_.end(),
                   [](const KernelSymbol& a, const KernelSymbol& b) { return a.addr < b.addr; });
}

ResolvedAddress SymbolTable::resolve(uint64_t addr) const {
  auto it = std::upper_bound(syms_.begin(), syms_.end(), addr,
                             [](uint64_t a, const KernelSymbol& s) { return a < s.addr; });
  if (it == syms_.begin()) return {};
  const KernelSymbol* sym = &*std::prev(it);
  // An address past the end of a module's text range does not belong to its last symbol.
  for (const auto& r : ranges_)
    if (r.module == sym->module && sym->addr >= r.start && sym->addr < r.start + r.size &&
        addr >= r.start + r.size)
      return {};
  // Do not attribute addresses absurdly far from any symbol (e.g. vmalloc to the last vmlinux sym).
  if (addr - sym->addr > (1u << 20)) return {};
  return {sym, addr - sym->addr};
}

std::string SymbolTable::format(uint64_t addr) const {
  auto r = resolve(addr);
  if (!r.symbol) {
    for (const auto& m : ranges_)
      if (addr >= m.start && addr < m.start + m.size)
        return fmt::format("0x{:x} [{}]", addr, m.module);
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

std::optional<std::string> SymbolTable::name_data(uint64_t addr) const {
  auto r = resolve(addr);
  if (!r.symbol) return std::nullopt;
  char t = static_cast<char>(r.symbol->type | 0x20);  // lower-case
  if (t != 'd' && t != 'b' && t != 'r') return std::nullopt;
  if (r.offset > 4096) return std::nullopt;
  if (r.offset == 0) return r.symbol->name;
  return fmt::format("{}+0x{:x}", r.symbol->name, r.offset);
}

}  // namespace modrace
