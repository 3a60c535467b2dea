// SPDX-License-Identifier: GPL-2.0-only
//
// unprotected-get (docs/protocol.md): positive and negative cases on small hand-built event
// streams.
#include <gtest/gtest.h>

#include "event_builder.h"
#include "rules/seed.h"

using namespace modrace;
using namespace modrace::test;

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

// A spinlock the unload path never takes blocks grace periods, but only by disabling
// preemption: not a protection (preempt-only-get, tests/unit/rules/preempt_only_get_test.cpp),
// and not an unprotected-get either.
TEST(UnprotectedGet, SpinlockHeldIsNotProtectedButNotUnprotectedGet) {
  Seed s;
  s.t.as(100).try_get(s.drv, s.open_ip, EventBuilder::locks({s.t.spin("other_lock")}));
  s.t.put(s.drv, s.close_ip);
  s.t.as(200).unload(s.drv, {s.t.mutex("seed_lock")});
  Report r = s.t.analyze();
  EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
  EXPECT_EQ(findings_of(r, Rule::preempt_only_get).size(), 1u);
  EXPECT_EQ(site_of(r, "seed_drv", "seed_open")->verdict, SiteVerdict::finding);
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

// A known kernel idiom (userspace/analyzer/kernel_idioms.cpp): sound core's snd_ctl_open takes
// the card module's reference with no lock held, safe because snd_card_free drains the card's
// files before the driver's exit returns. Unverified with those words, not an error; the same
// lockless get in another core function stays a finding.
TEST(UnprotectedGet, KnownKernelIdiomIsUnverifiedWithItsReason) {
  EventBuilder t;
  auto snd = t.load("snd");
  auto card = t.load("snd_dummy");
  uint64_t ctl_open = t.mod_fn(snd, "snd_ctl_open", 0x100);
  uint64_t other_open = t.mod_fn(snd, "snd_other_open", 0x300);
  t.as(100, "mixer").try_get(card, ctl_open);
  t.put(card, t.mod_fn(snd, "snd_ctl_release", 0x500));
  t.as(101, "mixer").try_get(card, other_open);
  t.put(card, t.mod_fn(snd, "snd_ctl_release", 0x500));
  t.as(200, "rmmod").unload(card, {t.spin("files_lock"), t.mutex("sound_mutex")});
  Report r = t.analyze();
  auto f = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->function, "snd_other_open");
  auto* site = site_of(r, "snd_dummy", "snd_ctl_open");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->verdict, SiteVerdict::unverified);
  EXPECT_NE(site->reason.find("snd_card_file_add"), std::string::npos) << site->reason;
  EXPECT_NE(site->reason.find("known kernel idiom"), std::string::npos) << site->reason;
}

// A protecting lock in no named object (a disk's open_mutex, on the heap) is named by its kind,
// address and where the get's task took it, not by a bare address (issue 14, item 1).
TEST(UnprotectedGet, HeapLockProtectionSaysWhereItWasTaken) {
  EventBuilder t;
  auto loop = t.load("loop");
  const uint64_t open_mutex = 0xffff8880aa000100;
  HeldLock held{open_mutex, t.fn("blkdev_get_by_dev"), LockKind::mutex};
  t.as(100, "mount").try_get(loop, t.fn("blkdev_get_by_dev"), EventBuilder::locks({held}));
  t.put(loop, t.fn("blkdev_put"));
  t.as(200, "rmmod").unload(loop, {EventBuilder::dynamic_lock(open_mutex)});
  Report r = t.analyze();
  EXPECT_TRUE(r.findings.empty());
  auto* site = site_of(r, "loop", "blkdev_get_by_dev");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->verdict, SiteVerdict::protected_);
  EXPECT_EQ(site->protected_by.rfind("mutex at 0xffff8880aa000100, taken at blkdev_get_by_dev", 0),
            0u)
      << site->protected_by;
}

// A task whose lock state could not be created is marked by the recorder: its snapshots come
// truncated (task_storage_marked, trace 1.6). Only its own gets are unverified; the others are
// still judged, and the report keeps saying its lock information is complete. An unmarked loss
// (task_storage, older recorders) still makes every lock verdict unverified.
TEST(UnprotectedGet, AMarkedTaskStorageLossLeavesOtherTasksJudged) {
  for (bool marked : {true, false}) {
    Seed s;
    s.t.as(100, "cat").try_get(s.drv, s.open_ip);
    s.t.put(s.drv, s.close_ip);
    LockContext lost = EventBuilder::locks();
    lost.truncated = marked;
    s.t.as(300, "forked").try_get(s.drv, s.open_ip, lost);
    s.t.put(s.drv, s.close_ip);
    s.t.as(200, "rmmod").unload(s.drv, {s.t.mutex("seed_lock")});
    TraceMeta meta;
    meta.drops[marked ? DropCause::task_storage_marked : DropCause::task_storage] = 1;
    Report r = s.t.analyze(meta);
    if (marked) {
      EXPECT_TRUE(r.lock_info_complete);
      auto f = findings_of(r, Rule::unprotected_get);
      ASSERT_EQ(f.size(), 1u);
      EXPECT_EQ(f[0]->count, 1u);  // cat's; the marked task's get is not judged
      EXPECT_EQ(f[0]->comm, "cat");
    } else {
      EXPECT_FALSE(r.lock_info_complete);
      EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
      ASSERT_EQ(r.unverified.size(), 1u);
      EXPECT_EQ(r.unverified[0].rule, Rule::unprotected_get);
    }
  }
}
