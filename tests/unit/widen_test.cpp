// SPDX-License-Identifier: GPL-2.0-only
//
// --widen SITE[=DURATION]: parsing (sites as reports print them, bounded durations) and
// resolution against a module's symbols (userspace/loader/widen.h).
#include <gtest/gtest.h>

#include <vector>

#include "events/error.h"
#include "loader/widen.h"

using namespace modrace;
using namespace modrace::loader;

TEST(Widen, ParsesASiteAsReportsPrintIt) {
  auto w = parse_widen("seed_open+0x2c [seed_core]");
  EXPECT_EQ(w.function, "seed_open");
  ASSERT_TRUE(w.offset);
  EXPECT_EQ(*w.offset, 0x2cu);
  EXPECT_EQ(w.module, "seed_core");
  EXPECT_EQ(w.delay_us, kWidenDefaultUs);
}

TEST(Widen, ParsesFunctionAtModuleAndDurations) {
  auto w = parse_widen("seed_get_driver_unlocked@seed_core=10ms");
  EXPECT_EQ(w.function, "seed_get_driver_unlocked");
  EXPECT_FALSE(w.offset);
  EXPECT_EQ(w.module, "seed_core");
  EXPECT_EQ(w.delay_us, 10000u);
  EXPECT_EQ(parse_widen("misc_open+0x1c=500us").delay_us, 500u);
  EXPECT_EQ(parse_widen("misc_open+0x1c/0x80@m=2").delay_us, 2000u);
  EXPECT_EQ(parse_widen("misc_open=50ms").delay_us, kWidenMaxUs);
  EXPECT_EQ(parse_widen("misc_open").module, "");
}

TEST(Widen, RefusesBadSitesAndUnboundedDurations) {
  for (const char* bad : {"", "f=0", "f=51ms", "f=50001us", "f=abc", "f=-1", "f+zz@m", "a b", "f@",
                          "f+0x2c [", "@m"}) {
    try {
      parse_widen(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--widen ", 0), 0u) << e.what();
    }
  }
}

TEST(Widen, ResolvesAgainstItsModulesSymbols) {
  std::vector<KernelSymbol> syms = {
      {0xa000, 't', "seed_open", "seed_core", 0x80},
      {0xa080, 't', "seed_release", "seed_core", 0},
      {0xa0c0, 't', "seed_next", "seed_core", 0},
      {0xb000, 't', "seed_open", "other", 0x40},
  };
  auto r = resolve_widen(parse_widen("seed_open+0x2c [seed_core]"), syms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 0xa02cu);
  EXPECT_EQ(r->second, 0xa02du);
  r = resolve_widen(parse_widen("seed_open@seed_core"), syms);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::make_pair(uint64_t{0xa000}, uint64_t{0xa080}));
  // No size (kallsyms): up to the next symbol of the module.
  r = resolve_widen(parse_widen("seed_release@seed_core"), syms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->second, 0xa0c0u);
  EXPECT_FALSE(resolve_widen(parse_widen("seed_open@absent"), syms));
  EXPECT_FALSE(resolve_widen(parse_widen("seed_open"), syms));            // vmlinux has none
  EXPECT_FALSE(resolve_widen(parse_widen("seed_next@seed_core"), syms));  // end unknown
}
