// SPDX-License-Identifier: GPL-2.0-only
//
// preempt-only-get (docs/protocol.md): a get whose only cover is disabled preemption or
// interrupts, or PREEMPT_RT's implicit RCU read side of spin_lock, from a lock the unload path
// never takes. Module memory is kept (free_module waits for a grace period), the objects the
// exit frees are not. An explicit rcu_read_lock() stays protected(rcu), on both flavours.
#include <gtest/gtest.h>

#include "rules/seed.h"

using namespace modrace;
using namespace modrace::test;

namespace {

// The client's unload: its exit unregisters under its own mutex, never the core's spinlock.
Report spin_reg(Seed& s, const LockContext& at_get) {
  s.t.as(100, "cat").try_get(s.drv, s.open_ip, at_get);
  s.t.put(s.drv, s.close_ip);
  s.t.as(200, "rmmod").unload(s.drv, {s.t.mutex("client_mutex")});
  return s.t.analyze();
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST(PreemptOnlyGet, SpinlockTheUnloadNeverTakesIsAWarning) {
  Seed s;
  Report r = spin_reg(s, EventBuilder::locks({s.t.spin("reg_lock")}));
  auto f = findings_of(r, Rule::preempt_only_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::warning);
  EXPECT_EQ(f[0]->module, "seed_drv");
  EXPECT_EQ(f[0]->site, "seed_open+0x2c");
  EXPECT_EQ(f[0]->count, 1u);
  ASSERT_EQ(f[0]->locks_held.size(), 1u);
  EXPECT_EQ(f[0]->locks_held[0].name, "reg_lock");
  bool client_mutex = false;
  for (const auto& l : f[0]->unload_locks) client_mutex |= l.name == "client_mutex";
  EXPECT_TRUE(client_mutex);
  // Names the lock held and the unload's locks, says what holds and what does not.
  const std::string& m = f[0]->message;
  EXPECT_TRUE(has(m, "holding only reg_lock")) << m;
  EXPECT_TRUE(has(m, "client_mutex")) << m;
  EXPECT_TRUE(has(m, "preemption disabled by reg_lock")) << m;
  EXPECT_TRUE(has(m, "module memory")) << m;
  EXPECT_TRUE(has(m, "does not keep alive the objects seed_drv's exit frees")) << m;
  EXPECT_TRUE(has(f[0]->fix, "take reg_lock in the unregister path of seed_drv")) << f[0]->fix;
  EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
  auto* site = site_of(r, "seed_drv", "seed_open");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->verdict, SiteVerdict::finding);
  EXPECT_EQ(site->finding_id, f[0]->id);
  EXPECT_TRUE(site->protected_by.empty());
  // A warning: `report --fail-on error` passes, `--fail-on warning` does not.
  EXPECT_EQ(count_at_or_above(r, Severity::error), 0u);
  EXPECT_EQ(count_at_or_above(r, Severity::warning), 1u);
}

// PREEMPT_RT: spin_lock is rt_spin_lock, which takes rcu_read_lock() instead of disabling
// preemption. That RCU nesting is the lock's, not the code's: the same warning.
TEST(PreemptOnlyGet, RtSpinlockImplicitRcuIsAWarningToo) {
  Seed s;
  Report r = spin_reg(s, EventBuilder::rt_locks({s.t.spin("reg_lock")}));
  auto f = findings_of(r, Rule::preempt_only_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(has(f[0]->message, "PREEMPT_RT")) << f[0]->message;
  EXPECT_TRUE(has(f[0]->message, "(holding reg_lock)")) << f[0]->message;
  EXPECT_TRUE(has(f[0]->lock_context, "1 of it implicit in PREEMPT_RT spinlocks"))
      << f[0]->lock_context;
  EXPECT_NE(site_of(r, "seed_drv", "seed_open")->protected_by, "rcu");
}

// An RT rwlock (read_lock -> rt_read_lock) counts the same.
TEST(PreemptOnlyGet, RtReadLockImplicitRcuIsAWarning) {
  Seed s;
  HeldLock rd{s.t.data("reg_rwlock"), 0, LockKind::rwlock_read};
  Report r = spin_reg(s, EventBuilder::rt_locks({rd}));
  EXPECT_EQ(findings_of(r, Rule::preempt_only_get).size(), 1u);
}

// The documented protocol: an explicit rcu_read_lock() around lookup and get stays
// protected(rcu), with or without a spinlock inside it, on either flavour.
TEST(PreemptOnlyGet, ExplicitRcuWithSpinlockStaysProtected) {
  Seed s;
  LockContext lc = EventBuilder::locks({s.t.spin("reg_lock")});
  lc.rcu_depth = 1;
  Report r = spin_reg(s, lc);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->protected_by, "rcu");
}

TEST(PreemptOnlyGet, RtExplicitRcuBeyondTheSpinlocksStaysProtected) {
  Seed s;
  Report r = spin_reg(s, EventBuilder::rt_locks({s.t.spin("reg_lock")}, /*explicit_rcu=*/1));
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->protected_by, "rcu");
}

// seed_rcu on PREEMPT_RT: rcu_read_lock() and no lock at all.
TEST(PreemptOnlyGet, RtRcuReadLockAloneStaysProtected) {
  Seed s;
  Report r = spin_reg(s, EventBuilder::rt_locks({}, 1));
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->protected_by, "rcu");
}

// A raw spinlock on PREEMPT_RT still disables preemption (no RT flag): not explicit RCU either.
TEST(PreemptOnlyGet, RtRawSpinlockIsPreemptionOnly) {
  Seed s;
  LockContext lc = EventBuilder::rt_locks({});
  lc.push(s.t.spin("raw_reg_lock"));
  lc.preempt_count = 1;
  Report r = spin_reg(s, lc);
  EXPECT_EQ(findings_of(r, Rule::preempt_only_get).size(), 1u);
}

// The same site seen with and without an explicit read side: two signatures, and the one
// without it is the warning (one signature would have judged both by the first).
TEST(PreemptOnlyGet, RcuAndPreemptOnlyGetsOfOneSiteAreJudgedApart) {
  Seed s;
  s.t.as(100, "cat").try_get(s.drv, s.open_ip, EventBuilder::rt_locks({s.t.spin("reg_lock")}, 1));
  s.t.put(s.drv, s.close_ip);
  s.t.try_get(s.drv, s.open_ip, EventBuilder::rt_locks({s.t.spin("reg_lock")}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200, "rmmod").unload(s.drv, {s.t.mutex("client_mutex")});
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::preempt_only_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->count, 1u);
}

// preempt_disable() or local_irq_save() with no lock at all: the same weakness, the same rule.
TEST(PreemptOnlyGet, PreemptDisableWithoutALock) {
  Seed s;
  LockContext lc = EventBuilder::locks();
  lc.preempt_count = 1;
  Report r = spin_reg(s, lc);
  auto f = findings_of(r, Rule::preempt_only_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(has(f[0]->message, "holding no lock")) << f[0]->message;
  EXPECT_TRUE(has(f[0]->message, "preempt_disable()")) << f[0]->message;
  EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
}

TEST(PreemptOnlyGet, IrqsDisabledWithoutALock) {
  Seed s;
  LockContext lc = EventBuilder::locks();
  lc.irqs_disabled = true;
  Report r = spin_reg(s, lc);
  auto f = findings_of(r, Rule::preempt_only_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(has(f[0]->message, "interrupts disabled")) << f[0]->message;
}

// A spinlock the unload path takes protects, on both flavours: the lock is named.
TEST(PreemptOnlyGet, SpinlockSharedWithTheUnloadProtects) {
  for (bool rt : {false, true}) {
    Seed s;
    HeldLock l = s.t.spin("reg_lock");
    s.t.as(100).try_get(s.drv, s.open_ip,
                        rt ? EventBuilder::rt_locks({l}) : EventBuilder::locks({l}));
    s.t.put(s.drv, s.close_ip);
    if (rt) l.flags = kHeldRt;
    s.t.as(200).unload(s.drv, {l});
    Report r = s.t.analyze();
    EXPECT_TRUE(r.findings.empty()) << rt;
    EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->protected_by, "reg_lock") << rt;
  }
}

// Interrupt context: locks are not tracked there, so whether the unload takes one cannot be
// said; unverified, never a finding (and no longer protected by the preempt count alone).
TEST(PreemptOnlyGet, InterruptContextIsUnverified) {
  Seed s;
  LockContext lc = EventBuilder::locks();
  lc.in_interrupt = true;
  lc.preempt_count = 0x100;
  Report r = spin_reg(s, lc);
  EXPECT_TRUE(r.findings.empty());
  auto* site = site_of(r, "seed_drv", "seed_open");
  EXPECT_EQ(site->verdict, SiteVerdict::unverified);
  EXPECT_TRUE(has(site->reason, "interrupt")) << site->reason;
}

// A truncated PREEMPT_RT snapshot may hide more RT spinlocks than it shows: the RCU nesting
// beyond the captured ones is not proven explicit.
TEST(PreemptOnlyGet, TruncatedRtSnapshotDoesNotProveRcu) {
  Seed s;
  LockContext lc = EventBuilder::rt_locks({s.t.spin("reg_lock")}, 1);
  lc.truncated = true;
  Report r = spin_reg(s, lc);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::unverified);
}

// Lost lock information could explain the verdict: listed as unverified, not reported.
TEST(PreemptOnlyGet, LostLockInformationMakesItUnverified) {
  Seed s;
  s.t.as(100, "cat").try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.spin("reg_lock")}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200, "rmmod").unload(s.drv, {s.t.mutex("client_mutex")});
  TraceMeta meta;
  meta.drops[DropCause::lock_table] = 1;
  Report r = s.t.analyze(meta);
  EXPECT_TRUE(r.findings.empty());
  ASSERT_EQ(r.unverified.size(), 1u);
  EXPECT_EQ(r.unverified[0].rule, Rule::preempt_only_get);
  auto* site = site_of(r, "seed_drv", "seed_open");
  EXPECT_EQ(site->verdict, SiteVerdict::unverified);
  EXPECT_TRUE(has(site->reason, "only disabled preemption")) << site->reason;
}

TEST(PreemptOnlyGet, InTheCatalogue) {
  EXPECT_EQ(to_string(Rule::preempt_only_get), "preempt-only-get");
  EXPECT_EQ(rule_from_string("preempt-only-get"), Rule::preempt_only_get);
  EXPECT_EQ(severity_of(Rule::preempt_only_get), Severity::warning);
}
