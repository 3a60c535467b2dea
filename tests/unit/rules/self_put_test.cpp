// SPDX-License-Identifier: GPL-2.0-only
//
// self-put (docs/protocol.md): positive and negative cases on small hand-built event streams.
#include <gtest/gtest.h>

#include "event_builder.h"

using namespace modrace;
using namespace modrace::test;

TEST(SelfPut, OwnPutDroppingTheLastReferenceIsAnError) {
  EventBuilder t;
  auto drv = t.load("seed_drv");
  t.as(100).try_get(drv, t.fn("seed_open"), EventBuilder::locks({t.mutex("seed_lock")}), true, 2);
  t.put(drv, t.mod_fn(drv, "seed_drv_release", 0x80), EventBuilder::locks(), 1);
  Report r = t.analyze();
  auto f = findings_of(r, Rule::self_put);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->refcount, 1);
  EXPECT_NE(f[0]->message.find("dropped the last reference"), std::string::npos);
}

// seed-selfput, once: seed_core's init text is freed when it goes LIVE, and seed_drv's text
// was then loaded into that very memory. The release is seed_drv's own code, not seed_core's.
TEST(SelfPut, TextInAnotherModulesFreedInitIsStillOwnText) {
  EventBuilder t;
  const uint64_t reused = EventBuilder::kModuleBase + 0x800000;
  t.load_at("seed_core", 0, reused);
  auto drv = t.load_at("seed_drv", reused, 0);
  t.as(100).try_get(drv, t.fn("seed_open"), EventBuilder::locks({t.mutex("seed_lock")}), true, 2);
  t.put(drv, t.mod_fn(drv, "seed_drv_release", 0x40), EventBuilder::locks(), 1);
  EXPECT_EQ(findings_of(t.analyze(), Rule::self_put).size(), 1u);
}

TEST(SelfPut, OwnPutWithAnotherOwnReferenceLeftIsFine) {
  EventBuilder t;
  auto drv = t.load("seed_drv");
  t.as(100).try_get(drv, t.fn("seed_open"), EventBuilder::locks({t.mutex("seed_lock")}), true, 2);
  t.get(drv, t.mod_fn(drv, "seed_drv_open", 0x40), EventBuilder::locks(), 3);
  t.put(drv, t.mod_fn(drv, "seed_drv_work", 0x80), EventBuilder::locks(), 2);
  Report r = t.analyze();
  EXPECT_TRUE(findings_of(r, Rule::self_put).empty());
}

TEST(SelfPut, OwnPutLeavingOnlyOtherTasksReferencesIsNotClaimed) {
  // loop's __loop_clr_fd puts THIS_MODULE inside blkdev_put, whose caller then drops the block
  // device's reference that another task (mount) took: the events cannot tell that from a race.
  EventBuilder t;
  auto drv = t.load("seed_drv");
  t.as(100).try_get(drv, t.fn("seed_open"), EventBuilder::locks({t.mutex("seed_lock")}), true, 2);
  t.as(300).try_get(drv, t.fn("seed_open"), EventBuilder::locks({t.mutex("seed_lock")}), true, 3);
  t.as(100).put(drv, t.mod_fn(drv, "seed_drv_release", 0x80), EventBuilder::locks(), 2);
  EXPECT_TRUE(findings_of(t.analyze(), Rule::self_put).empty());
}

TEST(SelfPut, ModulePutAndKthreadExitIsNotAFinding) {
  EventBuilder t;
  auto drv = t.load("seed_drv");
  t.as(400, "seed_kthread")
      .get(drv, t.mod_fn(drv, "seed_drv_init", 0x20), EventBuilder::locks(), 2);
  t.put(drv, t.fn("__module_put_and_kthread_exit"), EventBuilder::locks(), 1);
  Report r = t.analyze();
  EXPECT_TRUE(r.findings.empty());
}
