// SPDX-License-Identifier: GPL-2.0-only
//
// Every rule, positive and negative, on small hand-built event streams (docs/protocol.md).
#include <gtest/gtest.h>

#include "event_builder.h"

using namespace modrace;
using namespace modrace::test;

namespace {

// The seed scenario: a built-in open path finds a driver object living in seed_drv and pins
// seed_drv with try_module_get(drv->owner); seed_drv's exit unregisters holding seed_lock.
struct Seed {
  EventBuilder t;
  Mod drv;
  uint64_t open_ip, close_ip;
  Seed() {
    drv = t.load("seed_drv");
    open_ip = t.fn("seed_open", 0x2c);
    close_ip = t.fn("seed_release", 0x18);
  }
};

}  // namespace

// ---- unprotected-get ----

TEST(UnprotectedGet, GetWithoutTheUnregisterLockIsAnError) {
  Seed s;
  s.t.as(100, "cat");
  s.t.try_get(s.drv, s.open_ip);
  s.t.put(s.drv, s.close_ip);
  s.t.try_get(s.drv, s.open_ip);
  s.t.put(s.drv, s.close_ip);
  s.t.as(200, "rmmod").unload(s.drv, {s.t.mutex("seed_lock")});
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->module, "seed_drv");
  EXPECT_EQ(f[0]->site, "seed_open+0x2c");
  EXPECT_EQ(f[0]->function, "seed_open");
  EXPECT_EQ(f[0]->count, 2u);
  EXPECT_EQ(f[0]->severity, Severity::error);
  EXPECT_EQ(f[0]->comm, "cat");
  ASSERT_FALSE(f[0]->unload_locks.empty());
  bool has_seed_lock = false;
  for (const auto& l : f[0]->unload_locks) has_seed_lock |= l.name == "seed_lock";
  EXPECT_TRUE(has_seed_lock);
  EXPECT_NE(f[0]->fix.find("take seed_lock around the lookup"), std::string::npos) << f[0]->fix;
  auto* site = site_of(r, "seed_drv", "seed_open");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->verdict, SiteVerdict::finding);
  EXPECT_EQ(site->finding_id, f[0]->id);
  EXPECT_EQ(r.findings.size(), 1u);
}

TEST(UnprotectedGet, MutexSharedWithUnregisterProtects) {
  Seed s;
  s.t.as(100, "cat").try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("misc_mtx")}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200, "rmmod").unload(s.drv, {s.t.mutex("misc_mtx")});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  auto* site = site_of(r, "seed_drv", "seed_open");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->verdict, SiteVerdict::protected_);
  EXPECT_EQ(site->protected_by, "misc_mtx");
  EXPECT_EQ(site->locks_held, std::vector<std::string>{"misc_mtx"});
}

// On a lockdep kernel the held locks come from current->held_locks: a lock is its lockdep_map
// and is named by its lockdep class, in findings, fixes and site verdicts alike.
TEST(UnprotectedGet, LockdepLocksAreNamedByTheirClass) {
  Seed s;
  auto dev_lock = s.t.lockdep("seed_devs", "&dev->open_mutex");
  auto drv_lock = s.t.lockdep("seed_lock", "seed_lock");
  s.t.as(100, "cat").try_get(s.drv, s.open_ip, EventBuilder::lockdep_locks({dev_lock}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200, "rmmod").unload(s.drv, {drv_lock});
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(f[0]->locks_held.size(), 1u);
  EXPECT_EQ(f[0]->locks_held[0].name, "&dev->open_mutex");
  bool named = false;
  for (const auto& l : f[0]->unload_locks) named |= l.name == "seed_lock";
  EXPECT_TRUE(named);
  EXPECT_NE(f[0]->fix.find("take seed_lock around the lookup"), std::string::npos) << f[0]->fix;
}

TEST(UnprotectedGet, LockdepLockSharedWithUnregisterProtects) {
  Seed s;
  auto mtx = s.t.lockdep("misc_mtx", "misc_mtx");
  s.t.as(100, "cat").try_get(s.drv, s.open_ip, EventBuilder::lockdep_locks({mtx}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200, "rmmod").unload(s.drv, {mtx});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  auto* site = site_of(r, "seed_drv", "seed_open");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->verdict, SiteVerdict::protected_);
  EXPECT_EQ(site->protected_by, "misc_mtx");
}

// srcu_read_lock is a lockdep read acquisition, in the opener and in the unload's SRCU grace
// period alike: two readers, no exclusion (seed-notquite's srcu guard on the lockdep kernel).
TEST(UnprotectedGet, LockdepReadersDoNotExcludeEachOther) {
  Seed s;
  auto srcu = s.t.lockdep("seed_lookup_srcu", "*(sspp++)");
  srcu.kind = LockKind::lockdep_read;
  s.t.as(100, "cat").try_get(s.drv, s.open_ip, EventBuilder::lockdep_locks({srcu}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200, "rmmod").unload(s.drv, {srcu});
  Report r = s.t.analyze();
  EXPECT_EQ(findings_of(r, Rule::unprotected_get).size(), 1u);
  EXPECT_NE(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::protected_);
}

TEST(UnprotectedGet, RwsemReadAgainstWriteProtects) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.rwsem_read("crypto_alg_sem")}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.rwsem_write("crypto_alg_sem")});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->protected_by, "crypto_alg_sem");
}

TEST(UnprotectedGet, TwoReadersDoNotExcludeEachOther) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.rwsem_read("crypto_alg_sem")}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.rwsem_read("crypto_alg_sem")});
  Report r = s.t.analyze();
  EXPECT_EQ(findings_of(r, Rule::unprotected_get).size(), 1u);
}

TEST(UnprotectedGet, TwoDifferentLocksIsAnError) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("lock_a")}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.mutex("lock_b")});
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(f[0]->locks_held.size(), 1u);
  EXPECT_EQ(f[0]->locks_held[0].name, "lock_a");
  EXPECT_NE(f[0]->fix.find("lock_b"), std::string::npos);
  EXPECT_NE(f[0]->message.find("only lock_a"), std::string::npos) << f[0]->message;
}

TEST(UnprotectedGet, RcuReadSideIsProtectedOnceAnUnloadCompleted) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::rcu());
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->protected_by, "rcu");
}

TEST(UnprotectedGet, SpinlockHeldBlocksGracePeriods) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.spin("file_systems_lock")}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::protected_);
}

// __get_fs_type: read_lock(&file_systems_lock) against unregister_filesystem's write_lock. The
// lock is named even though preemption is also off (the more useful verdict).
TEST(UnprotectedGet, SharedLockIsNamedBeforeRcu) {
  Seed s;
  HeldLock rd{s.t.data("file_systems_lock"), 0, LockKind::rwlock_read};
  HeldLock wr{s.t.data("file_systems_lock"), 0, LockKind::rwlock_write};
  s.t.as(100).try_get(s.drv, s.t.fn("__get_fs_type", 0x44), EventBuilder::locks({rd}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {wr});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "__get_fs_type")->protected_by, "file_systems_lock");
}

TEST(UnprotectedGet, NeverUnloadedIsUnverifiedWithItsLocks) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("misc_mtx")}));
  s.t.put(s.drv, s.close_ip);
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  auto* site = site_of(r, "seed_drv", "seed_open");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->verdict, SiteVerdict::unverified);
  EXPECT_EQ(site->locks_held, std::vector<std::string>{"misc_mtx"});
  EXPECT_NE(site->reason.find("never unloaded"), std::string::npos);
}

TEST(UnprotectedGet, RcuNeverUnloadedIsUnverified) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::rcu());
  s.t.put(s.drv, s.close_ip);
  Report r = s.t.analyze();
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::unverified);
}

TEST(UnprotectedGet, FailedBusyUnloadProvesNothing) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("module_mutex")}));
  // The busy unload took module_mutex too, but ran no exit path: no verdict from it.
  s.t.as(200).failed_unload(s.drv);
  s.t.as(100).put(s.drv, s.close_ip);
  Report r = s.t.analyze();
  EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::unverified);
}

TEST(UnprotectedGet, GetOnComingModuleIsJudgedNormally) {
  EventBuilder t;
  auto drv = t.load("seed_drv", 0, false, /*init=*/false);  // still COMING
  t.as(100).try_get(drv, t.fn("seed_open"), EventBuilder::locks({t.mutex("seed_lock")}));
  t.as(100).put(drv, t.fn("seed_release"));
  t.as(1, "insmod").finish_init(drv);
  t.as(200).unload(drv, {t.mutex("seed_lock")});
  Report r = t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::protected_);
}

TEST(UnprotectedGet, TruncatedLockSnapshotIsUnverifiedNotAnError) {
  Seed s;
  LockContext lc = EventBuilder::locks({s.t.mutex("other")});
  lc.truncated = true;
  s.t.as(100).try_get(s.drv, s.open_ip, lc);
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::unverified);
}

TEST(UnprotectedGet, TruncatedSnapshotThatStillShowsTheLockIsProtected) {
  Seed s;
  LockContext lc = EventBuilder::locks({s.t.mutex("seed_lock")});
  lc.truncated = true;
  s.t.as(100).try_get(s.drv, s.open_ip, lc);
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  Report r = s.t.analyze();
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::protected_);
}

TEST(UnprotectedGet, LockProviderOffIsUnverified) {
  Seed s;
  LockContext lc;  // provider off
  s.t.as(100).try_get(s.drv, s.open_ip, lc);
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
}

TEST(UnprotectedGet, ByReferenceWhenTheTaskAlreadyHoldsOne) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.mutex("seed_lock")}));
  uint64_t ioctl_ip = s.t.fn("seed_ioctl", 0x40);
  s.t.try_get(s.drv, ioctl_ip);  // unlocked, but the task pins the module already
  s.t.put(s.drv, s.t.fn("seed_ioctl", 0x80));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(site_of(r, "seed_drv", "seed_ioctl")->verdict, SiteVerdict::by_reference);
}

TEST(UnprotectedGet, ForcedUnloadCountsAsAnUnload) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip);  // never put
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")}, EventBuilder::kOTrunc);
  Report r = s.t.analyze();
  EXPECT_EQ(findings_of(r, Rule::unprotected_get).size(), 1u);
  EXPECT_TRUE(findings_of(r, Rule::ref_leak).empty());
  EXPECT_TRUE(r.outstanding.empty());
}

TEST(UnprotectedGet, EstablishedWhenTheModuleUnloads) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip);
  s.t.put(s.drv, s.close_ip);
  auto before = s.t.events().size();
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  auto src = s.t.source();
  Analyzer a;
  Event ev;
  size_t n = 0;
  std::vector<Finding> early;
  while (src.next(ev)) {
    a.consume(ev, src);
    auto f = a.take_new_findings(src);
    if (++n <= before) {
      EXPECT_TRUE(f.empty());
    }
    early.insert(early.end(), f.begin(), f.end());
  }
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].rule, Rule::unprotected_get);
  Report r = a.finish(src);
  EXPECT_EQ(r.findings[0].id, early[0].id);
}

// ---- self-get ----

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

// ---- self-put ----

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
  t.as(400, "seed_kthread").get(drv, t.mod_fn(drv, "seed_drv_init", 0x20), EventBuilder::locks(), 2);
  t.put(drv, t.fn("__module_put_and_kthread_exit"), EventBuilder::locks(), 1);
  Report r = t.analyze();
  EXPECT_TRUE(r.findings.empty());
}

// ---- ref-leak and outstanding ----

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

// ---- get-while-going ----

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

// ---- put-underflow ----

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

// ---- core bookkeeping ----

TEST(CoreBookkeeping, InitialReferenceAndDependencyRefsAreNeverReported) {
  EventBuilder t;
  auto lib = t.load("seed_lib");
  // insmod of seed_drv: the loader pins seed_lib (ref_module), seed_drv loads and inits.
  t.as(1, "insmod").try_get(lib, t.fn("ref_module", 0x30), EventBuilder::locks({t.mutex("module_mutex")}));
  auto drv = t.load("seed_drv");
  // rmmod seed_drv: free_module drops the dependency reference.
  t.as(2, "rmmod").delete_enter(drv);
  t.state(drv, ModuleState::going);
  t.put(lib, t.fn("module_unload_free", 0x44));
  t.free(drv);
  t.delete_exit(drv, 0);
  t.unload(lib);
  Report r = t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_TRUE(r.outstanding.empty());
  EXPECT_EQ(site_of(r, "seed_lib", "ref_module")->verdict, SiteVerdict::core);
}

TEST(CoreBookkeeping, InitialReferenceRecognisedWithoutSymbols) {
  EventBuilder t;
  t.no_symbols();
  auto drv = t.load("seed_drv");  // do_init_module's put has no symbol now
  t.as(100).try_get(drv, 0xffffffff81234567ull, EventBuilder::locks({EventBuilder::dynamic_lock(0xffff888000001000ull)}));
  t.put(drv, 0xffffffff81234999ull);
  Report r = t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_TRUE(r.outstanding.empty());
}

TEST(CoreBookkeeping, ModuleCallerThatDependsOnTheTargetIsByReference) {
  EventBuilder t;
  auto lib = t.load("seed_lib");
  t.as(1, "insmod").try_get(lib, t.fn("resolve_symbol", 0x30), EventBuilder::locks({t.mutex("module_mutex")}));
  auto drv = t.load("seed_drv");
  t.as(100).try_get(lib, t.mod_fn(drv, "seed_drv_use_lib", 0x100));
  t.put(lib, t.mod_fn(drv, "seed_drv_done", 0x200));
  t.as(2).unload(lib, {t.mutex("lib_lock")});
  Report r = t.analyze();
  EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
  EXPECT_EQ(site_of(r, "seed_lib", "seed_drv_use_lib")->verdict, SiteVerdict::by_reference);
}
