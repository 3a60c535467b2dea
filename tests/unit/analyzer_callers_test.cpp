// SPDX-License-Identifier: GPL-2.0-only
//
// CallerIndex (analyzer/callers.h) on its own: module text, freed text, the loader's functions.
#include <gtest/gtest.h>

#include "analyzer/callers.h"

using namespace modrace;
using namespace modrace::checker;

namespace {

constexpr uint64_t kPtr = 0xffffffffc0100000ull;
constexpr uint64_t kText = 0xffffffffc0110000ull;

ModuleLoad module(const std::string& name, uint64_t ptr, uint64_t text) {
  ModuleLoad l;
  l.module = ptr;
  l.name = name;
  l.core_text_start = text;
  l.core_text_size = 0x1000;
  return l;
}

VectorSource with_symbols() {
  SymbolTable s;
  s.add({0xffffffff81001000ull, 'T', "do_init_module", ""});
  s.add({0xffffffff81002000ull, 'T', "seed_open", ""});
  s.finalize();
  return VectorSource({}, {}, {}, std::move(s));
}

}  // namespace

TEST(CallerIndex, ModuleTextIsTheModules) {
  ModuleTable m;
  CallerIndex c(m);
  auto src = with_symbols();
  m.load({}, module("seed_drv", kPtr, kText));
  Instance* drv = &m.instance_for(kPtr);
  EXPECT_EQ(c.classify(kText + 0x10, src).inst, drv);
  EXPECT_EQ(c.classify(kText + 0x1000, src).inst, nullptr);  // just past its text
}

TEST(CallerIndex, FreedTextStillNamesItsModuleUntilReused) {
  ModuleTable m;
  CallerIndex c(m);
  auto src = with_symbols();
  m.load({}, module("seed_drv", kPtr, kText));
  Instance* drv = &m.instance_for(kPtr);
  m.free(kPtr);
  EXPECT_EQ(c.classify(kText + 0x10, src).inst, drv);  // a late put from the freed module
  m.load({}, module("seed_other", kPtr + 0x100000, kText));
  EXPECT_EQ(c.classify(kText + 0x10, src).inst, &m.instance_for(kPtr + 0x100000));
}

TEST(CallerIndex, VmlinuxCallersByFunction) {
  ModuleTable m;
  CallerIndex c(m);
  auto src = with_symbols();
  Caller init = c.classify(0xffffffff81001010ull, src);
  EXPECT_EQ(init.inst, nullptr);
  EXPECT_TRUE(init.resolved);
  EXPECT_EQ(init.core, CoreFn::init_drop);
  Caller open = c.classify(0xffffffff81002010ull, src);
  EXPECT_TRUE(open.resolved);
  EXPECT_EQ(open.core, CoreFn::none);
}
