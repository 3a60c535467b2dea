// SPDX-License-Identifier: GPL-2.0-only
//
// ModuleTable (analyzer/modules.h) on its own: pointer reuse, init text forgotten, unloads.
#include <gtest/gtest.h>

#include "analyzer/modules.h"

using namespace modrace;
using namespace modrace::checker;

namespace {

Event load_event(uint32_t tid = 1) {
  Event ev;
  ev.kind = EventKind::module_load;
  ev.tid = tid;
  return ev;
}

ModuleLoad module(const std::string& name, uint64_t ptr, uint64_t text, uint64_t init = 0) {
  ModuleLoad l;
  l.module = ptr;
  l.name = name;
  l.core_text_start = text;
  l.core_text_size = 0x1000;
  l.init_text_start = init;
  l.init_text_size = init ? 0x1000 : 0;
  return l;
}

constexpr uint64_t kPtr = 0xffffffffc0100000ull;

}  // namespace

TEST(ModuleTable, PointerReuseRetiresTheOldInstance) {
  ModuleTable m;
  EXPECT_EQ(m.load(load_event(), module("seed_drv", kPtr, 0xffffffffc0110000ull)), nullptr);
  Instance* first = &m.instance_for(kPtr);
  EXPECT_EQ(first->state, ModuleState::coming);
  EXPECT_TRUE(first->refs.initial_ref);
  m.free(kPtr);
  EXPECT_TRUE(first->freed);
  auto old = m.load(load_event(), module("seed_drv", kPtr, 0xffffffffc0120000ull));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old.get(), first);
  Instance& second = m.instance_for(kPtr);
  EXPECT_NE(&second, first);
  EXPECT_GT(second.seq, first->seq);
  EXPECT_EQ(second.name_id, first->name_id);  // one name, two loads
  EXPECT_EQ(m.modules_seen(), 2u);
}

TEST(ModuleTable, UnknownPointerIsNamedByItself) {
  ModuleTable m;
  Instance& i = m.instance_for(kPtr);
  EXPECT_EQ(m.name(i.name_id), "0xffffffffc0100000");
  EXPECT_FALSE(i.exact());
}

TEST(ModuleTable, InitTextForgottenWhenLiveOrReused) {
  ModuleTable m;
  m.load(load_event(), module("a", kPtr, 0xffffffffc0110000ull, 0xffffffffc0200000ull));
  Instance& a = m.instance_for(kPtr);
  EXPECT_EQ(a.init_size, 0x1000u);
  // Another module's text where a's init text was: a's init was freed.
  uint64_t gen = m.ranges_gen();
  m.load(load_event(), module("b", kPtr + 0x100000, 0xffffffffc0200000ull));
  EXPECT_EQ(a.init_size, 0u);
  EXPECT_GT(m.ranges_gen(), gen);

  m.load(load_event(), module("c", kPtr + 0x200000, 0xffffffffc0300000ull, 0xffffffffc0400000ull));
  Instance& c = m.instance_for(kPtr + 0x200000);
  m.set_state({kPtr + 0x200000, ModuleState::live});
  EXPECT_EQ(c.init_size, 0u);
  EXPECT_EQ(c.state, ModuleState::live);
}

TEST(ModuleTable, UnloadIsTrackedPerTask) {
  ModuleTable m;
  m.load(load_event(), module("seed_drv", kPtr, 0xffffffffc0110000ull));
  m.begin_unload(7, "seed_drv", 0);
  Instance* i = m.unloading_instance(7);
  ASSERT_NE(i, nullptr);
  EXPECT_TRUE(i->unloading);
  EXPECT_EQ(m.unloading_instance(8), nullptr);
  EXPECT_EQ(m.end_unload(7), i);
  EXPECT_FALSE(i->unloading);
  EXPECT_EQ(m.unloading_instance(7), nullptr);
  m.begin_unload(7, "no_such_module", 0);
  EXPECT_EQ(m.unloading_instance(7), nullptr);
}

TEST(ModuleTable, DependenciesPinnedWhileLoadingGoToTheNewModule) {
  ModuleTable m;
  m.load(load_event(1), module("seed_lib", kPtr, 0xffffffffc0110000ull));
  Instance& lib = m.instance_for(kPtr);
  m.pin_dependency(2, lib);
  m.load(load_event(2), module("seed_drv", kPtr + 0x100000, 0xffffffffc0210000ull));
  EXPECT_TRUE(m.instance_for(kPtr + 0x100000).pins(lib));
  EXPECT_FALSE(lib.pins(m.instance_for(kPtr + 0x100000)));
}

// Text lookups are an index kept current by each change, not a scan or a rebuild per load: a
// trace of many loads costs O(loads log loads). Freed text answers after live text, and a load
// forgets the init text of others that its own text now covers.
TEST(ModuleTable, TextOwnerAcrossManyLoads) {
  ModuleTable m;
  constexpr uint64_t kText = 0xffffffffc0000000ull;
  constexpr int kLoads = 20000;
  for (int i = 0; i < kLoads; i++) {
    uint64_t text = kText + 0x2000ull * i;
    // Each load's init text lies where the next one's core text will be.
    m.load(load_event(), module("m", kPtr + 0x1000ull * i, text, text + 0x2000));
    ASSERT_EQ(m.text_owner(text + 0x10), &m.instance_for(kPtr + 0x1000ull * i)) << i;
    if (i) ASSERT_EQ(m.text_owner(text - 0x2000 + 0x10)->ptr, kPtr + 0x1000ull * (i - 1)) << i;
  }
  // The last load's init text is its own; every earlier one was forgotten.
  uint64_t last_init = kText + 0x2000ull * kLoads;
  EXPECT_EQ(m.text_owner(last_init)->ptr, kPtr + 0x1000ull * (kLoads - 1));
  EXPECT_EQ(m.instance_for(kPtr).init_size, 0u);
  // A freed module's text still names it, until a live one covers the address.
  m.free(kPtr);
  EXPECT_EQ(m.text_owner(kText + 0x10)->ptr, kPtr);
  m.load(load_event(), module("other", kPtr + 0x1000ull * kLoads, kText));
  EXPECT_EQ(m.text_owner(kText + 0x10)->ptr, kPtr + 0x1000ull * kLoads);
  EXPECT_EQ(m.text_owner(kText - 1), nullptr);
}
