// SPDX-License-Identifier: GPL-2.0-only
//
// Confirming a finding with --widen (docs/protocol.md, "Confirming a finding"): a finding is
// confirmed when a get held at its site was then seen on the module while its unload ran or
// after it (a get-while-going); held gets that miss leave it "not confirmed", never cleared.
#include <gtest/gtest.h>

#include "event_builder.h"
#include "report/render.h"
#include "rules/seed.h"

using namespace modrace;
using namespace modrace::test;

namespace {

// rmmod of seed_drv with nothing held: claimed, exit, GOING, free, delete_module returns.
void unload_begins(Seed& s) {
  s.t.as(200).delete_enter(s.drv);
  s.t.unload_lock(s.t.mutex("module_mutex"));
  s.t.state(s.drv, ModuleState::going);
  s.t.free(s.drv);
}

}  // namespace

// seed-unprotected without its compiled-in delay: the opener held at seed_open's get while
// rmmod ran to free_module; the get, refused, comes after module_free.
TEST(WidenConfirm, HeldGetLandingAfterTheFreeConfirmsTheSite) {
  Seed s;
  s.t.as(100).widened_try_get(s.drv, s.open_ip);
  s.t.as(100).put(s.drv, s.close_ip);
  unload_begins(s);
  s.t.as(100).widened_try_get(s.drv, s.open_ip, EventBuilder::locks(), /*ok=*/false);
  s.t.as(200).delete_exit(s.drv, 0);
  Report r = s.t.analyze();
  auto unprot = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(unprot.size(), 1u);
  EXPECT_EQ(unprot[0]->widened.gets, 2u);
  EXPECT_EQ(unprot[0]->widened.hits, 1u);
  EXPECT_TRUE(unprot[0]->widened.confirmed());
  EXPECT_EQ(widening_text(unprot[0]->widened), "confirmed: 2 widened gets, 1 hit");
  auto going = findings_of(r, Rule::get_while_going);
  ASSERT_EQ(going.size(), 1u);
  EXPECT_TRUE(going[0]->widened.confirmed());
}

// A refused held get while the unload ran, holding nothing the unload takes: judged when the
// unload completes, and a hit then.
TEST(WidenConfirm, RefusedHeldGetDuringTheUnloadIsAHitOnceJudged) {
  Seed s;
  s.t.as(200).delete_enter(s.drv);
  s.t.unload_lock(s.t.mutex("module_mutex"));
  s.t.as(100).widened_try_get(s.drv, s.open_ip, EventBuilder::locks(), /*ok=*/false);
  s.t.as(200).state(s.drv, ModuleState::going);
  s.t.free(s.drv);
  s.t.delete_exit(s.drv, 0);
  Report r = s.t.analyze();
  auto unprot = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(unprot.size(), 1u);
  EXPECT_EQ(unprot[0]->widened.hits, 1u);
  EXPECT_TRUE(unprot[0]->widened.confirmed());
}

// Held gets that all came while the module was live: the finding stands, not confirmed.
TEST(WidenConfirm, HeldGetsThatMissLeaveTheFindingNotConfirmed) {
  Seed s;
  for (int i = 0; i < 3; i++) {
    s.t.as(100).widened_try_get(s.drv, s.open_ip);
    s.t.as(100).put(s.drv, s.close_ip);
  }
  s.t.as(200).unload(s.drv);
  Report r = s.t.analyze();
  auto unprot = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(unprot.size(), 1u);
  EXPECT_EQ(unprot[0]->widened.gets, 3u);
  EXPECT_FALSE(unprot[0]->widened.confirmed());
  EXPECT_EQ(widening_text(unprot[0]->widened), "not confirmed after 3 widened gets");
  EXPECT_NE(render_text(r, {}).find("not confirmed after 3 widened gets"), std::string::npos);
  EXPECT_NE(render_json(r).find("\"confirmed\": false"), std::string::npos);
}

// The negative control, seed-locked: the opener holds seed_lock across lookup and the held get;
// the exit waits for seed_lock, so the refused get is the kernel doing its job: no hit, nothing
// to confirm.
TEST(WidenConfirm, RefusedHeldGetUnderTheUnloadsLockIsNoHit) {
  Seed s;
  s.t.as(200).delete_enter(s.drv);
  uint64_t mm = s.t.now();
  s.t.as(100).widened_try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}),
                              /*ok=*/false);
  uint64_t sl = s.t.now();
  s.t.as(200).driver_unregister(s.drv, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.state(s.drv, ModuleState::going);
  s.t.free(s.drv);
  s.t.unload_lock(s.t.mutex("module_mutex"), 0, mm);
  s.t.unload_lock(s.t.mutex("seed_lock"), 0, sl);
  s.t.delete_exit(s.drv, 0);
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.widen.held, 1u);
}

// The totals count what the marks say: held gets and their time, capped gets apart (not held, so
// not a widened get of the site).
TEST(WidenConfirm, TotalsCountHeldAndCappedGets) {
  Seed s;
  s.t.as(100).widened_try_get(s.drv, s.open_ip, EventBuilder::locks(), true, 4000);
  s.t.as(100).put(s.drv, s.close_ip);
  s.t.as(100).widened_try_get(s.drv, s.open_ip, EventBuilder::locks(), true, 0, WidenMark::capped);
  s.t.as(100).put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv);
  Report r = s.t.analyze();
  EXPECT_EQ(r.widen.held, 1u);
  EXPECT_EQ(r.widen.capped, 1u);
  EXPECT_EQ(r.widen.held_us, 4000u);
  auto unprot = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(unprot.size(), 1u);
  EXPECT_EQ(unprot[0]->widened.gets, 1u);
  EXPECT_NE(render_json(r).find("\"held_us\": 4000"), std::string::npos);
}
