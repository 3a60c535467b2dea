// SPDX-License-Identifier: GPL-2.0-only
//
// Names across reloads: every name in a report comes from the module load that was live when the
// event happened, not from whatever was loaded at those addresses by the end of the trace (the
// edit-build-reload loop: one core unloaded, another one loaded where it was).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "event_builder.h"
#include "trace/trace_file.h"
#include "trace_test_util.h"

using namespace modrace;
using namespace modrace::test;

namespace {

constexpr uint64_t kCoreText = 0xffffffffc1200000;

// Two unrelated cores, each with an open path pinning its own driver, loaded one after the other
// at the same text (and data) addresses. Each core's unload path takes a lock of its own data.
struct TwoCoresOneAddress {
  EventBuilder t;
  Report r;
  TwoCoresOneAddress() {
    // alpha_core: alpha_open at +0x100, its lock alpha_lock in its data.
    Mod alpha = t.load_at("alpha_core", kCoreText, 0);
    uint64_t alpha_open = t.mod_fn(alpha, "alpha_open", 0x100, 0x0);
    uint64_t alpha_lock = t.mod_data(alpha, "alpha_lock", 0x40, 0x40);
    t.mod_data(alpha, "alpha_hits", 0x80, 8);
    Mod one = t.load("drv_one");
    HeldLock a_lock = EventBuilder::dynamic_lock(alpha_lock);
    a_lock.acquire_ip = alpha_open + 0x10;
    t.as(100, "cat").try_get(one, alpha_open + 0x20, EventBuilder::locks({a_lock}));  // protected
    t.put(one, t.fn("chrdev_release"));
    t.as(101, "cat").try_get(one, alpha_open + 0x48);  // no lock: unprotected
    t.put(one, t.fn("chrdev_release"));
    t.as(200, "rmmod").unload(one, {a_lock});
    t.unload(alpha);

    // beta_core at the same addresses: other functions, other objects where alpha's lock was.
    Mod beta = t.load_at("beta_core", kCoreText, 0);
    uint64_t beta_release = t.mod_fn(beta, "beta_release", 0xf0, 0x0);
    uint64_t beta_lookup = t.mod_fn(beta, "beta_lookup", 0x200, 0x0);
    t.mod_data(beta, "beta_list", 0x30, 0x20);  // covers alpha_lock's first 0x10 bytes
    uint64_t beta_mtx = t.mod_data(beta, "beta_mtx", 0x100, 0x40);
    (void)beta_release;
    Mod two = t.load("drv_two");
    HeldLock b_lock = EventBuilder::dynamic_lock(beta_mtx);
    t.as(300, "cat").try_get(two, beta_lookup + 0x18, EventBuilder::locks({b_lock}));
    t.put(two, t.fn("chrdev_release"));
    t.as(301, "cat").try_get(two, beta_lookup + 0x30);
    t.put(two, t.fn("chrdev_release"));
    t.as(400, "rmmod").unload(two, {b_lock});
    r = t.analyze();
  }
};

}  // namespace

TEST(Names, FindingsOfAnUnloadedCoreKeepItsNames) {
  TwoCoresOneAddress s;
  auto f = findings_of(s.r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 2u);
  const Finding* one = f[0]->module == "drv_one" ? f[0] : f[1];
  const Finding* two = f[0]->module == "drv_one" ? f[1] : f[0];
  EXPECT_EQ(one->module, "drv_one");
  EXPECT_EQ(one->site, "alpha_open+0x48 [alpha_core]");
  EXPECT_EQ(one->function, "alpha_open");
  ASSERT_FALSE(one->stack.empty());
  EXPECT_EQ(one->stack[0].text, "alpha_open+0x48 [alpha_core]");
  // The lock the unload took is alpha's, named as alpha named it; so is the fix.
  bool has_alpha_lock = false;
  for (const auto& l : one->unload_locks) has_alpha_lock |= l.name == "alpha_lock";
  EXPECT_TRUE(has_alpha_lock);
  EXPECT_NE(one->fix.find("take alpha_lock around the lookup"), std::string::npos) << one->fix;
  EXPECT_EQ(one->fix.find("beta"), std::string::npos) << one->fix;

  EXPECT_EQ(two->module, "drv_two");
  EXPECT_EQ(two->site, "beta_lookup+0x30 [beta_core]");
  EXPECT_NE(two->fix.find("take beta_mtx around the lookup"), std::string::npos) << two->fix;
}

TEST(Names, ProtectedSitesOfEachLoadNameTheirOwnLock) {
  TwoCoresOneAddress s;
  bool protected_alpha = false, protected_beta = false;
  for (const auto& site : s.r.sites) {
    if (site.verdict != SiteVerdict::protected_) continue;
    if (site.site == "alpha_open+0x20 [alpha_core]") {
      protected_alpha = true;
      EXPECT_EQ(site.protected_by, "alpha_lock");
    }
    if (site.site == "beta_lookup+0x18 [beta_core]") {
      protected_beta = true;
      EXPECT_EQ(site.protected_by, "beta_mtx");
    }
    EXPECT_EQ(site.site.find("beta_release"), std::string::npos) << site.site;
    EXPECT_EQ(site.protected_by.find("beta_list"), std::string::npos) << site.protected_by;
  }
  EXPECT_TRUE(protected_alpha);
  EXPECT_TRUE(protected_beta);
}

// The same stream written to a trace file and read back (post-mortem `report`) names the same.
TEST(Names, PostMortemReportNamesAsTheLiveOne) {
  TwoCoresOneAddress s;
  TempFile f("names");
  {
    auto w = TraceWriter::create(f.path(), sample_meta());
    StackTable none;
    const auto& timeline = s.t.symbol_timeline();
    size_t next = 0;
    const auto& events = s.t.events();
    for (size_t i = 0; i <= events.size(); i++) {
      for (; next < timeline.size() && timeline[next].first <= i; next++)
        w->add_symbols(std::span(&timeline[next].second, 1));
      if (i < events.size()) w->write(events[i], none);
    }
    w->close();
  }
  auto src = open_trace(f.path());
  Report back = analyze(*src);
  ASSERT_EQ(back.findings.size(), s.r.findings.size());
  for (size_t i = 0; i < back.findings.size(); i++) {
    EXPECT_EQ(back.findings[i].site, s.r.findings[i].site);
    EXPECT_EQ(back.findings[i].fix, s.r.findings[i].fix);
  }
  ASSERT_EQ(back.sites.size(), s.r.sites.size());
  for (size_t i = 0; i < back.sites.size(); i++) {
    EXPECT_EQ(back.sites[i].site, s.r.sites[i].site);
    EXPECT_EQ(back.sites[i].protected_by, s.r.sites[i].protected_by);
  }
}

TEST(Names, ALockOutsideEveryObjectIsNotNamedByTheSymbolBeforeIt) {
  EventBuilder t;
  Mod core = t.load_at("gamma_core", kCoreText, 0);
  uint64_t open = t.mod_fn(core, "gamma_open", 0x100, 0x0);
  t.mod_data(core, "gamma_count", 0x40, 8);
  Mod drv = t.load("drv_three");
  // A lock 0x10 past gamma_count's 8 bytes: not gamma_count, whatever precedes it.
  uint64_t lock = kCoreText + 0x1000 + 0x50;
  t.as(100, "cat")
      .try_get(drv, open + 0x8, EventBuilder::locks({EventBuilder::dynamic_lock(lock)}));
  t.put(drv, t.fn("chrdev_release"));
  t.as(200, "rmmod").unload(drv, {t.mutex("drv_lock")});
  Report r = t.analyze();
  auto f = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(f[0]->locks_held.size(), 1u);
  EXPECT_EQ(f[0]->locks_held[0].name, fmt::format("0x{:x}", lock));
  EXPECT_FALSE(f[0]->locks_held[0].is_static);
}

// The recorder reports an unload's locks at delete_module's exit, after the module's free has
// closed its symbols; the module code that took them (its exit calling the core's teardown) is
// still named, as of when the unload began (here a sound driver, not the seed's misc device).
TEST(Names, UnloadLocksNameTheExitOfTheFreedModule) {
  EventBuilder t;
  auto core = t.load("snd");
  auto drv = t.load("snd_dummy");
  uint64_t exit_fn = t.mod_fn(drv, "alsa_card_dummy_exit", 0x200);
  t.as(100, "mixer").try_get(drv, t.mod_fn(core, "snd_pcm_open", 0x300));
  t.put(drv, t.mod_fn(core, "snd_pcm_release", 0x400));
  t.as(200, "rmmod").delete_enter(drv);
  t.state(drv, ModuleState::going);
  t.free(drv);
  // platform_driver_unregister (vmlinux) called from the exit: the innermost module frame.
  t.stack({t.fn("platform_driver_unregister", 0x20), exit_fn, t.fn("__do_sys_delete_module", 0x90)})
      .unload_lock(t.spin("files_lock"), t.fn("platform_driver_unregister", 0x20));
  t.delete_exit(drv, 0);
  Report r = t.analyze();
  auto f = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 1u);
  const LockDesc* files_lock = nullptr;
  for (const auto& l : f[0]->unload_locks)
    if (l.name == "files_lock") files_lock = &l;
  ASSERT_NE(files_lock, nullptr);
  EXPECT_EQ(files_lock->via.rfind("alsa_card_dummy_exit+", 0), 0u) << files_lock->via;
  EXPECT_NE(files_lock->via.find("[snd_dummy]"), std::string::npos) << files_lock->via;
  EXPECT_TRUE(files_lock->module_code);
}
