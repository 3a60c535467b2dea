// SPDX-License-Identifier: GPL-2.0-only
//
// Symbol records name their module by struct module *: the name holds from that address's
// module_load to its module_free, never across a load the reader did not see.
#include <gtest/gtest.h>

#include "loader/symbol_records.h"

using namespace modrace;
using modrace::loader::SymbolRecordOwners;

namespace {

constexpr uint64_t kMod = 0xffffffffc0105000;

Event load(const std::string& name, uint64_t module = kMod, bool preexisting = false) {
  Event ev;
  ModuleLoad m;
  m.module = module;
  m.name = name;
  m.preexisting = preexisting;
  ev.data = m;
  return ev;
}

Event free_of(uint64_t module = kMod) {
  Event ev;
  ModuleFree f;
  f.module = module;
  ev.data = f;
  return ev;
}

std::optional<std::string> owner(SymbolRecordOwners& o, uint64_t module) {
  KernelSymbol s{0xffffffffc0100100, 't', "beta_open", ""};
  if (!o.name(module, s)) return std::nullopt;
  return s.module;
}

}  // namespace

TEST(SymbolRecords, NamedByTheLoadAtTheirAddress) {
  SymbolRecordOwners o;
  o.on_event(load("alpha"));
  o.on_event(load("gamma", kMod + 0x1000));
  EXPECT_EQ(owner(o, kMod).value_or(""), "alpha");
  EXPECT_EQ(owner(o, kMod + 0x1000).value_or(""), "gamma");
  EXPECT_EQ(o.unnamed(), 0u);
}

// alpha unloaded (its free seen), beta loaded at the same struct module with its module_load
// lost: beta's symbols are not alpha's.
TEST(SymbolRecords, AFreedModulesNameIsNotGivenToTheNextLoadsSymbols) {
  SymbolRecordOwners o;
  o.on_event(load("alpha"));
  o.on_event(free_of());
  EXPECT_FALSE(owner(o, kMod).has_value());
  EXPECT_EQ(o.unnamed(), 1u);
  // The next load seen at that address names its own symbols.
  o.on_event(load("beta"));
  EXPECT_EQ(owner(o, kMod).value_or(""), "beta");
  EXPECT_EQ(o.unnamed(), 1u);
}

// A module loaded before recording started: its symbols come from /proc/kallsyms, and a record
// at its address (a later load whose free and load were both lost) is not credited to it.
TEST(SymbolRecords, PreexistingLoadsNameNoRecords) {
  SymbolRecordOwners o;
  o.on_event(load("loop", kMod, /*preexisting=*/true));
  EXPECT_FALSE(owner(o, kMod).has_value());
}
