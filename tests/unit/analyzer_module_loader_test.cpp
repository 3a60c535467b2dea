// SPDX-License-Identifier: GPL-2.0-only
//
// The module loader's own refcount bookkeeping (module_loader.h): the initial reference and the
// references on dependencies are never reported.
#include <gtest/gtest.h>

#include "event_builder.h"

using namespace modrace;
using namespace modrace::test;

TEST(CoreBookkeeping, InitialReferenceAndDependencyRefsAreNeverReported) {
  EventBuilder t;
  auto lib = t.load("seed_lib");
  // insmod of seed_drv: the loader pins seed_lib (ref_module), seed_drv loads and inits.
  t.as(1, "insmod")
      .try_get(lib, t.fn("ref_module", 0x30), EventBuilder::locks({t.mutex("module_mutex")}));
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
  t.as(100).try_get(drv, 0xffffffff81234567ull,
                    EventBuilder::locks({EventBuilder::dynamic_lock(0xffff888000001000ull)}));
  t.put(drv, 0xffffffff81234999ull);
  Report r = t.analyze();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_TRUE(r.outstanding.empty());
}

TEST(CoreBookkeeping, ModuleCallerThatDependsOnTheTargetIsByReference) {
  EventBuilder t;
  auto lib = t.load("seed_lib");
  t.as(1, "insmod")
      .try_get(lib, t.fn("resolve_symbol", 0x30), EventBuilder::locks({t.mutex("module_mutex")}));
  auto drv = t.load("seed_drv");
  t.as(100).try_get(lib, t.mod_fn(drv, "seed_drv_use_lib", 0x100));
  t.put(lib, t.mod_fn(drv, "seed_drv_done", 0x200));
  t.as(2).unload(lib, {t.mutex("lib_lock")});
  Report r = t.analyze();
  EXPECT_TRUE(findings_of(r, Rule::unprotected_get).empty());
  EXPECT_EQ(site_of(r, "seed_lib", "seed_drv_use_lib")->verdict, SiteVerdict::by_reference);
}

// A get made by vmlinux code that a dependent module's code called (its init included: the
// loader pinned the dependency for it) is by reference: the dependency cannot be unloaded while
// the dependent is loaded. The same vmlinux get reached from no dependent's frame is judged.
TEST(CoreBookkeeping, GetUnderADependentModulesFrameIsByReference) {
  EventBuilder t;
  auto lib = t.load("snd_lib");
  t.as(1, "insmod")
      .try_get(lib, t.fn("ref_module", 0x30), EventBuilder::locks({t.mutex("module_mutex")}));
  auto card = t.load("snd_card_x", 0, false, /*init=*/false);  // COMING: its init runs
  const uint64_t init_fn = t.mod_fn(card, "snd_card_x_probe", 0x200, 0x1c);
  const uint64_t open_fn = t.mod_fn(card, "snd_card_x_open", 0x400, 0x2c);
  const uint64_t helper = t.fn("snd_card_new", 0x40), vfs = t.fn("chrdev_open", 0x50);
  // snd_card_x's init -> snd_card_new (vmlinux) -> try_module_get(snd_lib).
  t.stack({t.fn("try_module_get"), helper, init_fn, t.fn("do_init_module", 0x60)})
      .try_get(lib, helper);
  t.put(lib, t.fn("snd_card_free", 0x20));
  t.finish_init(card);
  // Later, its open path -> the same helper.
  t.as(100, "cat").stack({t.fn("try_module_get"), helper, open_fn, vfs}).try_get(lib, helper);
  t.put(lib, t.fn("snd_card_free", 0x20));
  // The helper reached from vmlinux alone: nothing pins snd_lib for this task.
  const uint64_t other = t.fn("snd_lookup", 0x30);
  t.as(101, "cat").stack({t.fn("try_module_get"), other, vfs}).try_get(lib, other);
  t.put(lib, t.fn("snd_card_free", 0x20));
  t.as(2, "rmmod").delete_enter(card);
  t.state(card, ModuleState::going);
  t.put(lib, t.fn("module_unload_free", 0x44));
  t.free(card);
  t.delete_exit(card, 0);
  t.unload(lib, {t.mutex("snd_lib_mutex")});
  Report r = t.analyze();
  EXPECT_EQ(site_of(r, "snd_lib", "snd_card_new")->verdict, SiteVerdict::by_reference);
  auto f = findings_of(r, Rule::unprotected_get);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->function, "snd_lookup");
}
