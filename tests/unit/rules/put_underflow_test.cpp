// SPDX-License-Identifier: GPL-2.0-only
//
// put-underflow (docs/protocol.md): positive and negative cases on small hand-built event streams.
#include <gtest/gtest.h>

#include "event_builder.h"
#include "rules/seed.h"

using namespace modrace;
using namespace modrace::test;

TEST(PutUnderflow, RefcountBelowBaseIsAnError) {
  Seed s;
  s.t.as(100).put(s.drv, s.close_ip, EventBuilder::locks(), 0);
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::put_underflow);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->site, "seed_release+0x18");
}

TEST(PutUnderflow, ExactAccountingCatchesItWithoutRefcount) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.put(s.drv, s.close_ip);
  s.t.put(s.drv, s.close_ip);
  EXPECT_EQ(findings_of(s.t.analyze(), Rule::put_underflow).size(), 1u);
}

TEST(PutUnderflow, BalancedIsClean) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}), true, 2);
  s.t.put(s.drv, s.close_ip, EventBuilder::locks(), 1);
  EXPECT_TRUE(s.t.analyze().findings.empty());
}

TEST(PutUnderflow, PutRacingWithTryStopModuleIsNotAnUnderflow) {
  // rmmod while an opener holds its reference: try_release_module_ref subtracts MODULE_REF_BASE
  // (raw 2 -> 1), the opener's close puts (raw 1 -> 0), and the unload goes on.
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}), true, 2);
  s.t.as(200, "rmmod").delete_enter(s.drv);
  s.t.as(100).put(s.drv, s.close_ip, EventBuilder::locks(), 0);
  EXPECT_TRUE(findings_of(s.t.analyze(), Rule::put_underflow).empty());
}

TEST(PutUnderflow, RawZeroWithNoReferenceDuringUnloadIsStillCaught) {
  // The same raw 0 from a put that matches no get is judged by the accounting: still an error.
  Seed s;
  s.t.as(200, "rmmod").delete_enter(s.drv);
  s.t.as(100).put(s.drv, s.close_ip, EventBuilder::locks(), 0);
  EXPECT_EQ(findings_of(s.t.analyze(), Rule::put_underflow).size(), 1u);
}

TEST(PutUnderflow, PreexistingModuleWithUnknownRefsIsNotJudged) {
  EventBuilder t;
  auto drv = t.load("seed_drv", 0, /*preexisting=*/true);
  t.as(100).put(drv, t.fn("seed_release"));  // the matching get predates the recording
  EXPECT_TRUE(t.analyze().findings.empty());
}
