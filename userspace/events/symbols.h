// SPDX-License-Identifier: GPL-2.0-only
//
// Naming kernel addresses. The trace carries a kallsyms snapshot and the symbols of every module
// captured while it was loaded (they vanish at unload); readers rebuild this table from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace modrace {

// The type letter of a lockdep lock class's name (kallsyms never uses it): `addr` is the class key
// (struct lock_class_key *), `name` lockdep's name for the class ("&disk->open_mutex"). Stored in
// the trace with the symbols; SymbolTable keeps them apart from the address-ordered ones.
inline constexpr char kLockClassSymbolType = 'L';

struct KernelSymbol {
  uint64_t addr = 0;
  char type = 't';  // nm-style type letter from kallsyms, or kLockClassSymbolType
  std::string name;
  std::string module;  // empty for vmlinux
  friend bool operator==(const KernelSymbol&, const KernelSymbol&) = default;
};

struct ResolvedAddress {
  const KernelSymbol* symbol = nullptr;
  uint64_t offset = 0;
};

class SymbolTable {
 public:
  void add(KernelSymbol sym);
  // Text range of a module instance; lets an address be attributed to a module even
  // without symbols; the latest range added wins where two overlap (a module reloaded there).
  void add_module_range(std::string module, uint64_t start, uint64_t size);
  // Call after adding; sorts. Lookups before finalize() see nothing new.
  void finalize();
  bool empty() const { return syms_.empty(); }
  size_t size() const { return syms_.size(); }
  const std::vector<KernelSymbol>& all() const { return syms_; }

  // The closest symbol at or below addr (within its module's range when known).
  ResolvedAddress resolve(uint64_t addr) const;
  // "func+0x1a [mod]"; ".text+0x1a [mod]" inside a module whose symbols are unknown;
  // "0xffff..." otherwise.
  std::string format(uint64_t addr) const;
  // The address of a data symbol by name (e.g. "misc_mtx"), for naming static locks.
  std::optional<uint64_t> lookup(std::string_view name) const;
  // The name of the object at exactly addr or containing it, for lock addresses: "misc_mtx",
  // "file_systems_lock+0x8"; nullopt when it is not inside any known data symbol.
  std::optional<std::string> name_data(uint64_t addr) const;
  // The data symbol (d, b or r) at or containing addr, as name_data() finds it; nullptr otherwise.
  const KernelSymbol* data_symbol(uint64_t addr) const;
  // Lockdep's name of the lock class with this key, nullopt when the trace never named it.
  std::optional<std::string> lock_class(uint64_t key) const;
  // How reports name a lock: its lockdep class (class_key, lockdep kernels), else the data
  // object it is in (name_data), else its address "0x...".
  std::string lock_name(uint64_t addr, uint64_t class_key = 0) const;
  size_t lock_class_count() const { return lock_classes_.size(); }

 private:
  struct Range {
    std::string module;
    uint64_t start, size;
  };
  const Range* module_range(uint64_t addr) const;
  std::vector<KernelSymbol> syms_;
  std::vector<Range> ranges_;
  std::unordered_map<uint64_t, std::string> lock_classes_;
};

}  // namespace modrace
