// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include "events/event.h"
#include "events/stack_table.h"
#include "events/symbols.h"

using namespace modrace;

TEST(Events, KindNamesRoundTrip) {
  for (int i = 1; i < kEventKindMax; i++) {
    auto k = static_cast<EventKind>(i);
    auto back = event_kind_from_string(to_string(k));
    ASSERT_TRUE(back.has_value()) << i;
    EXPECT_EQ(*back, k);
  }
  EXPECT_FALSE(event_kind_from_string("bogus").has_value());
  EXPECT_EQ(to_string(EventKind::try_module_get), "try_module_get");
}

TEST(Events, PayloadMatchesKind) {
  Event ev;
  ev.kind = EventKind::module_put;
  ev.data = RefcountOp{};
  EXPECT_TRUE(payload_matches_kind(ev));
  ev.kind = EventKind::module_load;
  EXPECT_FALSE(payload_matches_kind(ev));
}

TEST(Events, LockContextTruncatesPastCapacity) {
  LockContext lc;
  for (int i = 0; i < kMaxHeldLocks + 2; i++) lc.push({.addr = uint64_t(i + 1)});
  EXPECT_EQ(lc.nr_locks, kMaxHeldLocks);
  EXPECT_TRUE(lc.truncated);
  EXPECT_EQ(lc.held().size(), size_t(kMaxHeldLocks));
}

TEST(Events, CommIsBoundedAndTerminated) {
  Event ev;
  ev.set_comm("a-very-long-command-name");
  EXPECT_EQ(ev.comm_view(), "a-very-long-com");
}

TEST(StackTable, InternsAndDeduplicates) {
  StackTable t;
  std::vector<uint64_t> a{1, 2, 3}, b{1, 2, 4};
  auto ia = t.intern(a), ib = t.intern(b);
  EXPECT_NE(ia, 0u);
  EXPECT_NE(ia, ib);
  EXPECT_EQ(t.intern(a), ia);
  EXPECT_EQ(t.intern({}), 0u);
  ASSERT_EQ(t.frames(ib).size(), 3u);
  EXPECT_EQ(t.frames(ib)[2], 4u);
  EXPECT_TRUE(t.frames(999).empty());
}

TEST(Symbols, FormatsFunctionOffsetAndModule) {
  SymbolTable s;
  s.add({0xffffffff81000000, 't', "try_module_get", ""});
  s.add({0xffffffff81000100, 't', "module_put", ""});
  s.add({0xffffffffc0000000, 't', "seed_open", "seed_core"});
  s.add({0xffffffff82000000, 'd', "misc_mtx", ""});
  s.add_module_range("seed_core", 0xffffffffc0000000, 0x1000);
  s.finalize();
  EXPECT_EQ(s.format(0xffffffff81000010), "try_module_get+0x10");
  EXPECT_EQ(s.format(0xffffffffc0000020), "seed_open+0x20 [seed_core]");
  EXPECT_EQ(s.format(0xffffffffc0001020), "0xffffffffc0001020");
  EXPECT_EQ(s.name_data(0xffffffff82000000).value_or(""), "misc_mtx");
  EXPECT_FALSE(s.name_data(0xffffffff81000010).has_value());
  EXPECT_EQ(s.lookup("module_put").value_or(0), 0xffffffff81000100u);
}

TEST(Symbols, ModuleTextIsNeverNamedByAnotherModulesSymbol) {
  // seed_core's symbols were not captured; the nearest symbol below is a BPF trampoline.
  SymbolTable s;
  s.add({0xffffffffc0480000, 't', "bpf_trampoline_6442477055", "bpf"});
  s.add({0xffffffffc0499010, 't', "seed_drv_open", "seed_drv"});
  s.add_module_range("seed_core", 0xffffffffc048f000, 0x1000);
  s.add_module_range("seed_drv", 0xffffffffc0499000, 0x1000);
  s.finalize();
  EXPECT_EQ(s.format(0xffffffffc048f24e), ".text+0x24e [seed_core]");
  EXPECT_EQ(s.resolve(0xffffffffc048f24e).symbol, nullptr);
  EXPECT_EQ(s.format(0xffffffffc0499020), "seed_drv_open+0x10 [seed_drv]");
}

TEST(Symbols, ReloadedModuleRangeWins) {
  SymbolTable s;
  s.add_module_range("old_mod", 0xffffffffc0100000, 0x2000);
  s.add_module_range("new_mod", 0xffffffffc0100000, 0x1000);
  s.finalize();
  EXPECT_EQ(s.format(0xffffffffc0100010), ".text+0x10 [new_mod]");
}

TEST(Symbols, LockdepKeyDoesNotHideTheLockSharingItsAddress) {
  // Without lockdep, `static struct lock_class_key __key` is zero-sized and shares the address of
  // the next variable: the lock's own name must be the one reported, whatever the input order.
  for (int order = 0; order < 2; order++) {
    SymbolTable s;
    KernelSymbol key{0xffffffff82a00000, 'b', "__key.0", ""};
    KernelSymbol lock{0xffffffff82a00000, 'b', "file_systems_lock", ""};
    if (order) std::swap(key, lock);
    s.add(key);
    s.add(lock);
    s.finalize();
    EXPECT_EQ(s.name_data(0xffffffff82a00000).value_or(""), "file_systems_lock") << order;
  }
}
