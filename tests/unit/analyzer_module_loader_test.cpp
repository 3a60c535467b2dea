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
