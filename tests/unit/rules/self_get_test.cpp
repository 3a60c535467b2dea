// SPDX-License-Identifier: GPL-2.0-only
//
// self-get (docs/protocol.md): positive and negative cases on small hand-built event streams.
#include <gtest/gtest.h>

#include "event_builder.h"

using namespace modrace;
using namespace modrace::test;

TEST(SelfGet, TryModuleGetFromOwnTextIsAWarning) {
  EventBuilder t;
  auto drv = t.load("seed_drv");
  uint64_t ip = t.mod_fn(drv, "seed_drv_open", 0x100);
  t.as(100).try_get(drv, ip);
  t.put(drv, t.fn("seed_release"));
  Report r = t.analyze();
  auto f = findings_of(r, Rule::self_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::warning);
  EXPECT_EQ(f[0]->site, "seed_drv_open+0x8 [seed_drv]");
  EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
}

TEST(SelfGet, GetFromAnotherModuleOrVmlinuxIsNot) {
  EventBuilder t;
  auto drv = t.load("seed_drv");
  auto core = t.load("seed_core");
  t.as(100).try_get(drv, t.mod_fn(core, "seed_open", 0x200), EventBuilder::locks({t.mutex("l")}));
  t.put(drv, t.mod_fn(core, "seed_release", 0x300));
  Report r = t.analyze();
  EXPECT_TRUE(findings_of(r, Rule::self_get).empty());
}

// Sound core's snd_open: chrdev_open pinned the module through its cdev (the task's own
// reference), then fops_get() on the control device's fops, which the same module owns. Nothing
// can race: info, not a warning. Another task's get from the same site without a reference of
// its own makes it a warning again.
TEST(SelfGet, UnderTheTasksOwnReferenceIsOnlyRedundant) {
  EventBuilder t;
  auto snd = t.load("snd");
  uint64_t open = t.mod_fn(snd, "snd_open", 0x40);
  t.as(100).try_get(snd, t.fn("cdev_get"), EventBuilder::locks({t.mutex("chrdevs_lock")}));
  t.try_get(snd, open, EventBuilder::locks({t.mutex("sound_mutex")}));
  t.put(snd, t.fn("fops_put"));
  Report r = t.analyze();
  auto f = findings_of(r, Rule::self_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::info);
  EXPECT_NE(f[0]->message.find("already held a reference"), std::string::npos) << f[0]->message;

  t.as(200).try_get(snd, open);
  Report again = t.analyze();  // findings_of points into the report: keep it alive
  f = findings_of(again, Rule::self_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::warning);
  EXPECT_NE(f[0]->message.find("1 of 2 gets"), std::string::npos) << f[0]->message;
}
