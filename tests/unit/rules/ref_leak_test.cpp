// SPDX-License-Identifier: GPL-2.0-only
//
// ref-leak (docs/protocol.md): positive and negative cases on small hand-built event streams.
#include <gtest/gtest.h>

#include "event_builder.h"
#include "rules/seed.h"

using namespace modrace;
using namespace modrace::test;

TEST(RefLeak, BusyUnloadBlamesTheSitesHoldingReferences) {
  Seed s;
  uint64_t leak_ip = s.t.fn("seed_probe_leaky", 0x30);
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.put(s.drv, s.close_ip);  // balanced
  s.t.as(101).try_get(s.drv, leak_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(102).try_get(s.drv, leak_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(200).failed_unload(s.drv);
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::ref_leak);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->site, "seed_probe_leaky+0x30");
  EXPECT_EQ(f[0]->count, 2u);
  ASSERT_EQ(f[0]->refs.size(), 1u);
  EXPECT_EQ(f[0]->refs[0].count, 2u);
  ASSERT_EQ(r.outstanding.size(), 1u);  // still held at the end, and blamed
  EXPECT_TRUE(r.outstanding[0].leaked);
}

TEST(RefLeak, EwouldblockCountsAsBusy) {
  Seed s;
  s.t.as(101).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(200).failed_unload(s.drv, -11);
  EXPECT_EQ(findings_of(s.t.analyze(), Rule::ref_leak).size(), 1u);
}

TEST(RefLeak, OtherUnloadErrorsAreNotBusy) {
  Seed s;
  s.t.as(101).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(200).failed_unload(s.drv, -1);  // EPERM
  Report r = s.t.analyze();
  EXPECT_TRUE(findings_of(r, Rule::ref_leak).empty());
  EXPECT_EQ(r.outstanding.size(), 1u);
}

TEST(RefLeak, BusyWithNoAttributedReferenceIsNotALeak) {
  EventBuilder t;
  auto drv = t.load("seed_drv", 0, /*preexisting=*/true);  // its refs predate the recording
  t.as(200).failed_unload(drv);
  EXPECT_TRUE(t.analyze().findings.empty());
}

// seed-stress: an open in progress holds its reference for a moment; the rmmod that fails busy
// meanwhile is the kernel doing its job, and the reference is given back.
TEST(RefLeak, ReferenceGivenBackAfterTheBusyUnloadIsNotALeak) {
  Seed s;
  s.t.as(101).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(200).failed_unload(s.drv);
  s.t.as(101).put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  Report r = s.t.analyze();
  EXPECT_TRUE(findings_of(r, Rule::ref_leak).empty());
  EXPECT_TRUE(r.outstanding.empty());
}

// Of two references seen by the busy unload, one is given back: one leaked.
TEST(RefLeak, OnlyWhatIsNeverGivenBackCounts) {
  Seed s;
  s.t.as(101).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(102).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(200).failed_unload(s.drv);
  s.t.as(101).put(s.drv, s.close_ip);
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::ref_leak);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->count, 1u);
}

// rmmod -f after the busy failure takes the module away with the reference still held.
TEST(RefLeak, ForcedUnloadAfterABusyOneStillBlamesTheLeak) {
  Seed s;
  s.t.as(101).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(200).failed_unload(s.drv);
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")}, EventBuilder::kOTrunc);
  EXPECT_EQ(findings_of(s.t.analyze(), Rule::ref_leak).size(), 1u);
}
