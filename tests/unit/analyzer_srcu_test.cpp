// SPDX-License-Identifier: GPL-2.0-only
//
// SRCU read sides (docs/protocol.md, unprotected-get): a get inside srcu_read_lock(&S) is
// protected when the module's unload path waited with synchronize_srcu{,_expedited}(&S), and by
// nothing else: not by another srcu_struct's grace period, not by the unload reading S too, not
// by a lock that merely shares S's address. On a lockdep kernel the read side is lockdep's
// read-held S.dep_map, and the recorder keys the unload's synchronize_srcu by that address.
#include <gtest/gtest.h>

#include "event_builder.h"

using namespace modrace;
using namespace modrace::test;

namespace {

// srcu_reg: a registry of entries owned by srcu_client, looked up under srcu_reg_srcu.
struct SrcuReg {
  EventBuilder t;
  Mod client;
  uint64_t call_ip, done_ip;
  SrcuReg() {
    client = t.load("srcu_client");
    call_ip = t.fn("srcu_reg_call", 0x3a);
    done_ip = t.fn("srcu_reg_call", 0x60);
  }
  void call(const LockContext& lc) {
    t.as(100, "sh").try_get(client, call_ip, lc);
    t.put(client, done_ip);
  }
};

}  // namespace

TEST(Srcu, ReadSideTheUnloadSynchronizesProtects) {
  SrcuReg s;
  s.call(EventBuilder::locks({s.t.srcu_read("srcu_reg_srcu")}));
  s.t.as(200, "rmmod")
      .unload(s.client, {s.t.mutex("srcu_reg_mutex"), s.t.srcu_sync("srcu_reg_srcu")});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty()) << r.findings[0].message;
  auto* site = site_of(r, "srcu_client", "srcu_reg_call");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->verdict, SiteVerdict::protected_);
  EXPECT_EQ(site->protected_by, "srcu srcu_reg_srcu");
  EXPECT_EQ(site->locks_held, std::vector<std::string>{"srcu_reg_srcu"});
}

// The case: misc_mtx held by the open path as well; the SRCU read side is what protects.
TEST(Srcu, ReadSideUnderAnUnrelatedMutexIsNamedBySrcu) {
  SrcuReg s;
  s.call(EventBuilder::locks({s.t.mutex("misc_mtx"), s.t.srcu_read("srcu_reg_srcu")}));
  s.t.as(200, "rmmod").unload(s.client, {s.t.srcu_sync("srcu_reg_srcu")});
  Report r = s.t.analyze();
  EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
  EXPECT_EQ(site_of(r, "srcu_client", "srcu_reg_call")->protected_by, "srcu srcu_reg_srcu");
}

TEST(Srcu, ReadSideWithoutSynchronizeIsUnprotected) {
  SrcuReg s;
  s.call(EventBuilder::locks({s.t.srcu_read("srcu_reg_srcu")}));
  s.t.as(200, "rmmod").unload(s.client, {s.t.mutex("srcu_reg_mutex")});
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(f[0]->locks_held.size(), 1u);
  EXPECT_EQ(f[0]->locks_held[0].kind, LockKind::srcu_read);
  EXPECT_NE(f[0]->message.find("holding only srcu_reg_srcu (SRCU read side)"), std::string::npos)
      << f[0]->message;
  EXPECT_NE(f[0]->fix.find("synchronize_srcu(&srcu_reg_srcu)"), std::string::npos) << f[0]->fix;
}

TEST(Srcu, SynchronizeOfAnotherSrcuStructDoesNotProtect) {
  SrcuReg s;
  s.call(EventBuilder::locks({s.t.srcu_read("srcu_reg_notify_srcu")}));
  s.t.as(200, "rmmod").unload(s.client, {s.t.srcu_sync("srcu_reg_srcu")});
  Report r = s.t.analyze();
  ASSERT_EQ(findings_of(r, Rule::unprotected_get).size(), 1u);
  // The unload's grace-period wait is not a lock to take around the lookup.
  EXPECT_EQ(findings_of(r, Rule::unprotected_get)[0]->fix.find("take srcu_reg_srcu"),
            std::string::npos);
}

// synchronize_srcu itself runs a read side on 6.1 (srcu_gp_start_if_needed): a reader on both
// sides excludes nothing.
TEST(Srcu, UnloadReadingTheSameSrcuDoesNotProtect) {
  SrcuReg s;
  s.call(EventBuilder::locks({s.t.srcu_read("srcu_reg_srcu")}));
  s.t.as(200, "rmmod").unload(s.client, {s.t.srcu_read("srcu_reg_srcu")});
  Report r = s.t.analyze();
  EXPECT_EQ(findings_of(r, Rule::unprotected_get).size(), 1u);
}

// A grace period of S says nothing about a lock at S's address of another kind.
TEST(Srcu, SynchronizeDoesNotCoverAMutexAtTheSameAddress) {
  SrcuReg s;
  s.call(EventBuilder::locks({s.t.mutex("srcu_reg_srcu")}));
  s.t.as(200, "rmmod").unload(s.client, {s.t.srcu_sync("srcu_reg_srcu")});
  Report r = s.t.analyze();
  EXPECT_EQ(findings_of(r, Rule::unprotected_get).size(), 1u);
}

// Lockdep provider: srcu_read_lock is rcu_lock_acquire(&ssp->dep_map), a read-held lockdep lock;
// the unload's synchronize_srcu is recorded at that dep_map. A module's static srcu_structs all
// share srcu_module_coming()'s class "*(sspp++)": the verdict names the srcu_struct's symbol.
TEST(Srcu, LockdepReadSideTheUnloadSynchronizesProtects) {
  SrcuReg s;
  HeldLock rd = s.t.lockdep("srcu_reg_srcu", "*(sspp++)");
  rd.kind = LockKind::lockdep_read;
  HeldLock sync = rd;
  sync.kind = LockKind::srcu_sync;
  s.call(EventBuilder::lockdep_locks({s.t.lockdep("misc_mtx", "misc_mtx"), rd}));
  s.t.as(200, "rmmod").unload(s.client, {rd, sync});
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty()) << r.findings[0].message;
  auto* site = site_of(r, "srcu_client", "srcu_reg_call");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->verdict, SiteVerdict::protected_);
  EXPECT_EQ(site->protected_by, "srcu srcu_reg_srcu");
}

TEST(Srcu, LockdepSynchronizeOfAnotherSrcuDoesNotProtect) {
  SrcuReg s;
  HeldLock rd = s.t.lockdep("srcu_reg_notify_srcu", "srcu_reg_notify_srcu");
  rd.kind = LockKind::lockdep_read;
  HeldLock sync = s.t.lockdep("srcu_reg_srcu", "srcu_reg_srcu");
  sync.kind = LockKind::srcu_sync;
  s.call(EventBuilder::lockdep_locks({rd}));
  s.t.as(200, "rmmod").unload(s.client, {sync});
  Report r = s.t.analyze();
  EXPECT_EQ(findings_of(r, Rule::unprotected_get).size(), 1u);
}

// On 6.1's lockdep kernel every module's static srcu_struct has the class "*(sspp++)": the
// finding (locks held, message, fix) names the read side by its srcu_struct, not by that class.
TEST(Srcu, LockdepSharedClassFindingNamesTheSrcuStruct) {
  SrcuReg s;
  // The srcu_structs are the registry module's statics (module symbols carry their size).
  Mod reg = s.t.load("srcu_reg");
  const uint64_t sspp = s.t.data("__key.sspp");
  s.t.sym({sspp, kLockClassSymbolType, "*(sspp++)", ""});
  HeldLock rd{s.t.mod_data(reg, "srcu_reg_notify_srcu", 0x100, 0x200) + 0x30, 0,
              LockKind::lockdep_read};
  rd.class_key = sspp;
  HeldLock sync{s.t.mod_data(reg, "srcu_reg_srcu", 0x300, 0x200) + 0x30, 0, LockKind::srcu_sync};
  sync.class_key = sspp;
  s.call(EventBuilder::lockdep_locks({rd}));
  s.t.as(200, "rmmod").unload(s.client, {sync});
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(f[0]->locks_held.size(), 1u);
  EXPECT_EQ(f[0]->locks_held[0].name, "srcu_reg_notify_srcu+0x30 (lockdep class *(sspp++))");
  EXPECT_NE(f[0]->message.find("holding only srcu_reg_notify_srcu+0x30"), std::string::npos)
      << f[0]->message;
  ASSERT_FALSE(f[0]->unload_locks.empty());
  EXPECT_EQ(f[0]->unload_locks[0].name, "srcu_reg_srcu+0x30 (lockdep class *(sspp++))");
}

// get-while-going: a get refused while the unload waits in synchronize_srcu is correct code (the
// wait is for this very reader); a get inside a read side that began after the wait returned
// found an object the exit had already unlinked: the lookup did not happen under the read side.
TEST(Srcu, RefusedGetBeforeTheSynchronizeReturnedIsNotAFinding) {
  SrcuReg s;
  s.t.as(200, "rmmod").delete_enter(s.client);
  s.t.as(100, "sh").try_get(s.client, s.call_ip,
                            EventBuilder::locks({s.t.srcu_read("srcu_reg_srcu")}), false);
  uint64_t synced = s.t.now();
  s.t.as(200, "rmmod").state(s.client, ModuleState::going);
  s.t.free(s.client);
  s.t.unload_lock(s.t.srcu_sync("srcu_reg_srcu"), 0, synced);
  s.t.delete_exit(s.client, 0);
  Report r = s.t.analyze();
  EXPECT_TRUE(r.findings.empty()) << r.findings[0].message;
}

TEST(Srcu, RefusedGetAfterTheSynchronizeReturnedIsAFinding) {
  SrcuReg s;
  s.t.as(200, "rmmod").begin_unload(s.client, {s.t.srcu_sync("srcu_reg_srcu")});
  s.t.as(100, "sh").try_get(s.client, s.call_ip,
                            EventBuilder::locks({s.t.srcu_read("srcu_reg_srcu")}), false);
  s.t.as(200, "rmmod").end_unload(s.client);
  Report r = s.t.analyze();
  auto f = findings_of(r, Rule::get_while_going);
  ASSERT_EQ(f.size(), 1u);
  // The unload did wait for srcu_reg_srcu: that is not the fix here.
  EXPECT_EQ(f[0]->fix.find("synchronize_srcu"), std::string::npos) << f[0]->fix;
}
