// SPDX-License-Identifier: GPL-2.0-only
//
// get-while-going (docs/protocol.md): positive and negative cases on small hand-built event
// streams.
#include <gtest/gtest.h>

#include "event_builder.h"
#include "rules/seed.h"

using namespace modrace;
using namespace modrace::test;

TEST(GetWhileGoing, SuccessfulGetOnGoingModuleIsAnError) {
  Seed s;
  s.t.as(200).delete_enter(s.drv);
  s.t.state(s.drv, ModuleState::going);
  s.t.as(100).get(s.drv, s.open_ip);
  Report r = s.t.analyze();
  EXPECT_EQ(findings_of(r, Rule::get_while_going).size(), 1u);
}

// seed-locked-stress: rmmod stopped the module, its exit waits for seed_lock, which the opener
// holds across lookup and get; the get is refused. Correct code: nothing to report.
TEST(GetWhileGoing, RefusedGetBeforeTheUnregisterIsTheKernelDoingItsJob) {
  Seed s;
  s.t.as(200).delete_enter(s.drv);
  uint64_t mm = s.t.now();
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}), false);
  uint64_t sl = s.t.now();  // the exit gets seed_lock only after the opener released it
  s.t.as(200).driver_unregister(s.drv, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.state(s.drv, ModuleState::going);
  s.t.free(s.drv);
  s.t.unload_lock(s.t.mutex("module_mutex"), 0, mm);
  s.t.unload_lock(s.t.mutex("seed_lock"), 0, sl);
  s.t.delete_exit(s.drv, 0);
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::protected_);
}

// PREEMPT_RT: a mutex begins with its rt_mutex's raw wait_lock. The unload, blocked on seed_lock
// while the opener holds it, takes and drops that wait_lock (a spinlock at seed_lock's address)
// before the opener's refused get; it owns the mutex itself only later. Not the same lock.
TEST(GetWhileGoing, WaitLockAtTheMutexAddressIsNotTheMutex) {
  Seed s;
  s.t.as(200).delete_enter(s.drv);
  uint64_t mm = s.t.now();
  HeldLock wait_lock = s.t.mutex("seed_lock");
  wait_lock.kind = LockKind::spinlock;
  uint64_t wl = s.t.now();  // rt_mutex_slowlock: the unload queues up on seed_lock
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}), false);
  uint64_t sl = s.t.now();
  s.t.as(200).driver_unregister(s.drv, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.state(s.drv, ModuleState::going);
  s.t.free(s.drv);
  s.t.unload_lock(s.t.mutex("module_mutex"), 0, mm);
  s.t.unload_lock(wait_lock, 0, wl);
  s.t.unload_lock(s.t.mutex("seed_lock"), 0, sl);
  s.t.delete_exit(s.drv, 0);
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty()) << (r.findings.empty() ? "" : r.findings[0].message);
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::protected_);
}

// seed-notquite: the lookup happened before seed_lock; by the time the opener gets the lock the
// unregister has been through it. The held-lock set looks perfect, the get is still too late.
TEST(GetWhileGoing, RefusedGetAfterTheUnregisterPassedItsLockIsAnError) {
  Seed s;
  s.t.as(200).begin_unload(s.drv, {s.t.mutex("seed_lock")});
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}), false);
  s.t.as(200).end_unload(s.drv);
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::get_while_going);
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(f[0]->locks_held.size(), 1u);
  EXPECT_EQ(f[0]->locks_held[0].name, "seed_lock");
  EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
  auto* site = site_of(r, "seed_drv", "seed_open");
  EXPECT_EQ(site->verdict, SiteVerdict::finding);
  EXPECT_EQ(site->finding_id, f[0]->id);
}

// seed-stress: no lock at all, and the get lands during the unload.
TEST(GetWhileGoing, RefusedUnlockedGetDuringUnloadIsAnErrorToo) {
  Seed s;
  s.t.as(200).begin_unload(s.drv, {s.t.mutex("seed_lock")});
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("misc_mtx")}), false);
  s.t.as(200).end_unload(s.drv);
  Report r = s.t.analyze();
  EXPECT_EQ(findings_of(r, Rule::get_while_going).size(), 1u);
  EXPECT_EQ(findings_of(r, Rule::unprotected_get).size(), 1u);
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::finding);
}

TEST(GetWhileGoing, RefusedRcuGetDuringUnloadIsNot) {
  Seed s;
  s.t.as(200).begin_unload(s.drv, {s.t.mutex("seed_lock")});
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::rcu(), false);
  s.t.as(200).end_unload(s.drv);
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->protected_by, "rcu");
}

// Disabled preemption (or PREEMPT_RT's implicit RCU of spin_lock) from a lock the unload never
// takes: the exit's unregister does not wait for it, so a get it refused mid-exit is the
// preempt-only-get window hit, unlike an rcu_read_lock() reader.
TEST(GetWhileGoing, RefusedPreemptOnlyGetDuringUnloadIsAnError) {
  for (bool rt : {false, true}) {
    Seed s;
    HeldLock reg = s.t.spin("reg_lock");
    s.t.as(200).begin_unload(s.drv, {s.t.mutex("seed_lock")});
    s.t.as(100).try_get(s.drv, s.open_ip,
                        rt ? EventBuilder::rt_locks({reg}) : EventBuilder::locks({reg}), false);
    s.t.as(200).end_unload(s.drv);
    Report r = s.t.analyze();
    auto f = findings_of(r, Rule::get_while_going);
    ASSERT_EQ(f.size(), 1u) << rt;
    EXPECT_NE(f[0]->message.find("covered only by disabled preemption"), std::string::npos)
        << f[0]->message;
    EXPECT_EQ(findings_of(r, Rule::preempt_only_get).size(), 1u) << rt;
    EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::finding) << rt;
  }
}

TEST(GetWhileGoing, RefusedRtRcuGetDuringUnloadIsNot) {
  Seed s;
  s.t.as(200).begin_unload(s.drv, {s.t.mutex("seed_lock")});
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::rt_locks({s.t.spin("reg_lock")}, 1), false);
  s.t.as(200).end_unload(s.drv);
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->protected_by, "rcu");
}

TEST(GetWhileGoing, GetAfterGoingAnnouncedIsAnError) {
  Seed s;
  s.t.as(200).delete_enter(s.drv);
  s.t.driver_unregister(s.drv, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.state(s.drv, ModuleState::going);
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}), false);
  EXPECT_EQ(findings_of(s.t.analyze(), Rule::get_while_going).size(), 1u);
}

TEST(GetWhileGoing, GetAfterModuleFreeIsAnError) {
  Seed s;
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks(), /*ok=*/false);
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::get_while_going);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0]->message.find("after module_free"), std::string::npos);
}

TEST(GetWhileGoing, GetWhileExitRunsIsAnError) {
  Seed s;
  s.t.as(200).delete_enter(s.drv);
  s.t.driver_unregister(s.drv, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(100).get(s.drv, s.open_ip);
  EXPECT_EQ(findings_of(s.t.analyze(), Rule::get_while_going).size(), 1u);
}

TEST(GetWhileGoing, GetDuringFailedUnloadAttemptIsNot) {
  Seed s;
  s.t.as(101).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  s.t.as(200).failed_unload(s.drv);
  s.t.as(102).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  EXPECT_TRUE(findings_of(s.t.analyze(), Rule::get_while_going).empty());
}
