// SPDX-License-Identifier: GPL-2.0-only
//
// outstanding references (docs/protocol.md): positive and negative cases on small hand-built event
// streams.
#include <gtest/gtest.h>

#include "event_builder.h"
#include "rules/seed.h"

using namespace modrace;
using namespace modrace::test;

TEST(Outstanding, ReferencesHeldAtTheEndAreInfo) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(101).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  ASSERT_EQ(r.outstanding.size(), 1u);
  EXPECT_EQ(r.outstanding[0].count, 2u);
  EXPECT_EQ(r.outstanding[0].site, "seed_open+0x2c");
}

TEST(Outstanding, PutFromAnotherTaskReleasesTheBalancedSite) {
  Seed s;
  uint64_t leak_ip = s.t.fn("seed_probe_leaky", 0x30);
  s.t.as(101).try_get(s.drv, leak_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(102).try_get(s.drv, leak_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(555, "kworker/0:1").put(s.drv, s.t.fn("__fput"));  // someone else's put
  Report r = s.t.analyze();
  ASSERT_EQ(r.outstanding.size(), 1u);
  EXPECT_EQ(r.outstanding[0].site, "seed_probe_leaky+0x30");
  EXPECT_EQ(r.outstanding[0].count, 2u);
}
