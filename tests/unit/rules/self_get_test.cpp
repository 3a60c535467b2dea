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
