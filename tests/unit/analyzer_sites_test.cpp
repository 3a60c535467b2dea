// SPDX-License-Identifier: GPL-2.0-only
//
// SiteTable (analyzer/sites.h) on its own: when two gets share a site and a lock signature.
#include <gtest/gtest.h>

#include "analyzer/sites.h"

using namespace modrace;
using namespace modrace::checker;

namespace {

RefcountOp get_at(uint64_t ip, std::initializer_list<HeldLock> held = {}) {
  RefcountOp r;
  r.module = 0xffffffffc0100000ull;
  r.caller_ip = ip;
  r.locks.provider = LockProvider::probe;
  for (const auto& l : held) r.locks.push(l);
  return r;
}

constexpr uint64_t kIp = 0xffffffff81001010ull;
const HeldLock kMtx{0xffffffff82000100ull, 0, LockKind::mutex};
const HeldLock kOther{0xffffffff82000200ull, 0, LockKind::mutex};

}  // namespace

TEST(SiteTable, SameLocksSameSig) {
  SiteTable t;
  Event ev;
  auto a = t.sig_for(0, get_at(kIp, {kMtx}), EventKind::try_module_get, {}, ev, 0);
  auto b = t.sig_for(0, get_at(kIp, {kMtx}), EventKind::try_module_get, {}, ev, 0);
  EXPECT_EQ(a, b);
  EXPECT_EQ(t.sites(), 1u);
}

TEST(SiteTable, OtherLocksOtherSigSameSite) {
  SiteTable t;
  Event ev;
  auto a = t.sig_for(0, get_at(kIp, {kMtx}), EventKind::try_module_get, {}, ev, 0);
  auto b = t.sig_for(0, get_at(kIp, {kOther}), EventKind::try_module_get, {}, ev, 0);
  auto c = t.sig_for(0, get_at(kIp), EventKind::try_module_get, {}, ev, 0);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(t.sig(a).site, t.sig(b).site);
  EXPECT_EQ(t.site(t.sig(a).site).locks_seen.size(), 2u);
}

TEST(SiteTable, GracePeriodAndCompletenessArePartOfTheSig) {
  SiteTable t;
  Event ev;
  auto plain = get_at(kIp);
  auto rcu = get_at(kIp);
  rcu.locks.rcu_depth = 1;
  auto off = get_at(kIp);
  off.locks.provider = LockProvider::off;
  auto a = t.sig_for(0, plain, EventKind::try_module_get, {}, ev, 0);
  auto r1 = t.sig_for(0, rcu, EventKind::try_module_get, {}, ev, 0);
  EXPECT_NE(a, r1);
  EXPECT_NE(a, t.sig_for(0, off, EventKind::try_module_get, {}, ev, 0));
  // The rcu depth itself is not: only whether grace periods are blocked.
  rcu.locks.rcu_depth = 2;
  EXPECT_EQ(t.sig_for(0, rcu, EventKind::try_module_get, {}, ev, 0), r1);
}

TEST(SiteTable, ModuleAndOpMakeOtherSites) {
  SiteTable t;
  Event ev;
  auto a = t.sig_for(0, get_at(kIp), EventKind::try_module_get, {}, ev, 0);
  auto b = t.sig_for(1, get_at(kIp), EventKind::try_module_get, {}, ev, 0);
  auto c = t.sig_for(0, get_at(kIp), EventKind::module_get, {}, ev, 0);
  EXPECT_NE(t.sig(a).site, t.sig(b).site);
  EXPECT_NE(t.sig(a).site, t.sig(c).site);
  EXPECT_EQ(t.sites(), 3u);
}
