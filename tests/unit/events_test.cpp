// SPDX-License-Identifier: GPL-2.0-only
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "events/event.h"
#include "events/stack_table.h"
#include "events/symbols.h"
#include "events/trace_meta.h"

using namespace modrace;

TEST(Events, KindNamesRoundTrip) {
  for (int i = 1; i < kEventKindMax; i++) {
    auto k = static_cast<EventKind>(i);
    auto back = event_kind_from_string(to_string(k));
    ASSERT_TRUE(back.has_value()) << i;
    EXPECT_EQ(*back, k);
  }
  EXPECT_FALSE(event_kind_from_string("bogus").has_value());
  EXPECT_EQ(to_string(EventKind::try_module_get), "try_module_get");
}

TEST(Events, PayloadMatchesKind) {
  Event ev;
  ev.kind = EventKind::module_put;
  ev.data = RefcountOp{};
  EXPECT_TRUE(payload_matches_kind(ev));
  ev.kind = EventKind::module_load;
  EXPECT_FALSE(payload_matches_kind(ev));
}

TEST(Events, LockContextTruncatesPastCapacity) {
  LockContext lc;
  for (int i = 0; i < kMaxHeldLocks + 2; i++) lc.push({.addr = uint64_t(i + 1)});
  EXPECT_EQ(lc.nr_locks, kMaxHeldLocks);
  EXPECT_TRUE(lc.truncated);
  EXPECT_EQ(lc.held().size(), size_t(kMaxHeldLocks));
}

TEST(Events, CommIsBoundedAndTerminated) {
  Event ev;
  ev.set_comm("a-very-long-command-name");
  EXPECT_EQ(ev.comm_view(), "a-very-long-com");
}

TEST(StackTable, InternsAndDeduplicates) {
  StackTable t;
  std::vector<uint64_t> a{1, 2, 3}, b{1, 2, 4};
  auto ia = t.intern(a), ib = t.intern(b);
  EXPECT_NE(ia, 0u);
  EXPECT_NE(ia, ib);
  EXPECT_EQ(t.intern(a), ia);
  EXPECT_EQ(t.intern({}), 0u);
  ASSERT_EQ(t.frames(ib).size(), 3u);
  EXPECT_EQ(t.frames(ib)[2], 4u);
  EXPECT_TRUE(t.frames(999).empty());
}

TEST(Symbols, FormatsFunctionOffsetAndModule) {
  SymbolTable s;
  s.add({0xffffffff81000000, 't', "try_module_get", ""});
  s.add({0xffffffff81000100, 't', "module_put", ""});
  s.add({0xffffffffc0000000, 't', "seed_open", "seed_core"});
  s.add({0xffffffff82000000, 'd', "misc_mtx", ""});
  s.add_module_range("seed_core", 0xffffffffc0000000, 0x1000);
  s.finalize();
  auto v = s.now();
  EXPECT_EQ(v.format(0xffffffff81000010), "try_module_get+0x10");
  EXPECT_EQ(v.format(0xffffffffc0000020), "seed_open+0x20 [seed_core]");
  EXPECT_EQ(v.format(0xffffffffc0001020), "0xffffffffc0001020");
  EXPECT_EQ(v.name_data(0xffffffff82000000).value_or(""), "misc_mtx");
  EXPECT_FALSE(v.name_data(0xffffffff81000010).has_value());
  EXPECT_EQ(s.lookup("module_put").value_or(0), 0xffffffff81000100u);
}

TEST(Symbols, ModuleTextIsNeverNamedByAnotherModulesSymbol) {
  // seed_core's symbols were not captured; the nearest symbol below is a BPF trampoline.
  SymbolTable s;
  s.add({0xffffffffc0480000, 't', "bpf_trampoline_6442477055", "bpf"});
  s.add({0xffffffffc0499010, 't', "seed_drv_open", "seed_drv"});
  s.add_module_range("seed_core", 0xffffffffc048f000, 0x1000);
  s.add_module_range("seed_drv", 0xffffffffc0499000, 0x1000);
  s.finalize();
  EXPECT_EQ(s.now().format(0xffffffffc048f24e), ".text+0x24e [seed_core]");
  EXPECT_EQ(s.now().resolve(0xffffffffc048f24e).symbol, nullptr);
  EXPECT_EQ(s.now().format(0xffffffffc0499020), "seed_drv_open+0x10 [seed_drv]");
}

TEST(Symbols, ReloadedModuleRangeWins) {
  SymbolTable s;
  s.add_module_range("old_mod", 0xffffffffc0100000, 0x2000);
  s.add_module_range("new_mod", 0xffffffffc0100000, 0x1000);
  s.finalize();
  EXPECT_EQ(s.now().format(0xffffffffc0100010), ".text+0x10 [new_mod]");
}

namespace {
Event load_event(uint64_t ptr, const std::string& name, uint64_t text, uint64_t size) {
  Event ev;
  ev.kind = EventKind::module_load;
  ModuleLoad m;
  m.module = ptr;
  m.name = name;
  m.core_text_start = text;
  m.core_text_size = size;
  ev.data = m;
  return ev;
}
Event free_event(uint64_t ptr) {
  Event ev;
  ev.kind = EventKind::module_free;
  ev.data = ModuleFree{ptr};
  return ev;
}
}  // namespace

// The edit-build-reload loop: alpha unloaded, beta loaded at the same addresses. Each address is
// named by the load live when it was seen, text and data alike, never by the other's symbols.
TEST(Symbols, OverlappingLoadsAreNamedAtTheirOwnEpochs) {
  const uint64_t text = 0xffffffffc0100000, data = text + 0x3000;
  SymbolTable s;
  s.add({0xffffffff81000000, 'T', "try_module_get", ""});
  SymbolEpoch alpha = s.note(load_event(0xffffffffc0105000, "alpha", text, 0x2000));
  s.add({text + 0x100, 't', "alpha_open", "alpha", 0x80});
  s.add({data, 'b', "alpha_lock", "alpha", 0x20});
  s.add({data + 0x20, 'b', "alpha_count", "alpha", 8});
  s.finalize();
  SymbolEpoch alpha_free = s.note(free_event(0xffffffffc0105000));
  SymbolEpoch beta = s.note(load_event(0xffffffffc0105000, "beta", text, 0x2000));
  s.add({text + 0xf0, 't', "beta_release", "beta", 0x10});
  s.add({data + 0x10, 'd', "beta_list", "beta", 0x10});
  s.finalize();

  EXPECT_EQ(s.at(alpha).format(text + 0x108), "alpha_open+0x8 [alpha]");
  EXPECT_EQ(s.at(alpha_free).format(text + 0x108), "alpha_open+0x8 [alpha]");
  EXPECT_EQ(s.at(beta).format(text + 0x108), ".text+0x108 [beta]");  // past beta_release's end
  EXPECT_EQ(s.at(beta).format(text + 0xf8), "beta_release+0x8 [beta]");
  EXPECT_EQ(s.now().format(text + 0xf8), "beta_release+0x8 [beta]");
  // Data: alpha's lock by alpha's symbols; at beta's time the same address is not a lock.
  EXPECT_EQ(s.at(alpha).lock_name(data + 0x8), "alpha_lock+0x8");
  EXPECT_EQ(s.at(beta).lock_name(data + 0x8), fmt::format("0x{:x}", data + 0x8));
  EXPECT_EQ(s.at(beta).lock_name(data + 0x10), "beta_list");
  // Inside no object: never the nearest symbol before it.
  EXPECT_FALSE(s.at(beta).name_data(data + 0x28).has_value());
  EXPECT_FALSE(s.at(alpha).name_data(data + 0x40).has_value());
  EXPECT_EQ(s.at(alpha).name_data(data + 0x20).value_or(""), "alpha_count");
  // Both loads keep their symbols, and the table says which was live when.
  ASSERT_EQ(s.loads().size(), 2u);
  EXPECT_EQ(s.image(s.loads()[0]).symbols, 3u);
  EXPECT_EQ(s.image(s.loads()[1]).symbols, 2u);
  EXPECT_NE(s.at(alpha).load_at(text), s.at(beta).load_at(text));
}

// A module_free that was never seen (lost): the next load of the same name replaces the load.
TEST(Symbols, ReloadWithoutASeenFreeStartsANewLoad) {
  SymbolTable s;
  SymbolEpoch first = s.note(load_event(0x1000, "gamma", 0xffffffffc0200000, 0x1000));
  s.add({0xffffffffc0200100, 't', "gamma_old", "gamma"});
  SymbolEpoch second = s.note(load_event(0x2000, "gamma", 0xffffffffc0200000, 0x1000));
  s.add({0xffffffffc0200100, 't', "gamma_new", "gamma"});
  s.finalize();
  EXPECT_EQ(s.at(first).format(0xffffffffc0200104), "gamma_old+0x4 [gamma]");
  EXPECT_EQ(s.at(second).format(0xffffffffc0200104), "gamma_new+0x4 [gamma]");
}

// The start-up snapshot: symbols of a module first, its (preexisting) module_load after.
TEST(Symbols, SnapshotSymbolsJoinTheModulesLoad) {
  SymbolTable s;
  s.add({0xffffffffc0300010, 't', "delta_fn", "delta"});
  SymbolEpoch e = s.note(load_event(0x3000, "delta", 0xffffffffc0300000, 0x1000));
  s.finalize();
  ASSERT_EQ(s.loads().size(), 1u);
  EXPECT_EQ(s.loads()[0].module, 0x3000u);
  EXPECT_EQ(s.at(e).format(0xffffffffc0300014), "delta_fn+0x4 [delta]");
  TraceMeta meta;
  EXPECT_TRUE(missing_symbols(s, meta).empty());
}

TEST(Symbols, MissingSymbolsSayWhichLoadAndWhy) {
  SymbolTable s;
  s.note(load_event(0x4000, "epsilon", 0xffffffffc0400000, 0x1000));
  TraceMeta meta;
  meta.features = {"module_symbols=bpf"};
  meta.drops[DropCause::ringbuf_full] = 7;
  auto missing = missing_symbols(s, meta);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].find("epsilon"), std::string::npos) << missing[0];
  EXPECT_NE(missing[0].find("lost 7 records"), std::string::npos) << missing[0];
  meta.features = {"module_symbols=kallsyms"};
  EXPECT_NE(missing_symbols(s, meta)[0].find("/proc/kallsyms"), std::string::npos);
}

TEST(Symbols, LockdepKeyDoesNotHideTheLockSharingItsAddress) {
  // Without lockdep, `static struct lock_class_key __key` is zero-sized and shares the address of
  // the next variable: the lock's own name must be the one reported, whatever the input order.
  for (int order = 0; order < 2; order++) {
    SymbolTable s;
    KernelSymbol key{0xffffffff82a00000, 'b', "__key.0", ""};
    KernelSymbol lock{0xffffffff82a00000, 'b', "file_systems_lock", ""};
    if (order) std::swap(key, lock);
    s.add(key);
    s.add(lock);
    s.finalize();
    EXPECT_EQ(s.now().name_data(0xffffffff82a00000).value_or(""), "file_systems_lock") << order;
  }
}

// Lockdep names a lock by its class. A class that does not name the static object holding the
// lock says nothing of which lock it is (6.1 gives every module's static srcu_struct the class
// "*(sspp++)"; a lock initialised through a pointer gets "&dev->lock"): the object is named too.
TEST(Symbols, LockdepClassNotNamingItsObjectIsPairedWithTheObject) {
  const uint64_t text = 0xffffffffc0100000, data = text + 0x3000;
  SymbolTable s;
  s.note(load_event(0xffffffffc0105000, "gadget", text, 0x4000));
  s.add({data, 'b', "gadget_srcu", "gadget", 0x200});
  s.add({data + 0x200, 'd', "gadget_dev", "gadget", 0x100});
  s.add({data + 0x300, 'd', "gadget_mtx", "gadget", 0x40});
  s.add({data + 0x340, 'd', "gadget_mtx_peer", "gadget", 0x40});
  const uint64_t shared = 0xffffffff83000000, through_ptr = shared + 8, own = shared + 16,
                 peer = shared + 24;
  s.add({shared, kLockClassSymbolType, "*(sspp++)", ""});
  s.add({through_ptr, kLockClassSymbolType, "&dev->lock", ""});
  s.add({own, kLockClassSymbolType, "gadget_mtx", ""});
  s.add({peer, kLockClassSymbolType, "&gadget_dev.lock", ""});
  s.finalize();
  SymbolView v = s.now();
  EXPECT_EQ(v.lock_name(data + 0x30, shared), "gadget_srcu+0x30 (lockdep class *(sspp++))");
  EXPECT_EQ(v.lock_name(data + 0x240, through_ptr), "gadget_dev+0x40 (lockdep class &dev->lock)");
  // The class names the object (or a member of it): lockdep's name alone, as in its reports.
  EXPECT_EQ(v.lock_name(data + 0x300, own), "gadget_mtx");
  EXPECT_EQ(v.lock_name(data + 0x240, peer), "&gadget_dev.lock");
  // A prefix of another identifier is not a mention: gadget_mtx_peer is not gadget_mtx.
  EXPECT_EQ(v.lock_name(data + 0x340, own), "gadget_mtx_peer (lockdep class gadget_mtx)");
  // On the heap (no object): the class alone.
  EXPECT_EQ(v.lock_name(0xffff888004000000, through_ptr), "&dev->lock");
  // Near a symbol of unknown size (vmlinux's, from /proc/kallsyms): not said to be inside it.
  s.add({0xffffffff82a00000, 'b', "some_table", ""});
  s.finalize();
  EXPECT_EQ(s.now().lock_name(0xffffffff82a00040, through_ptr), "&dev->lock");
}

// A trace may define one stack again and again: each definition is an id, the frames are kept
// once.
TEST(StackTable, RedefinedStacksShareTheirFrames) {
  StackTable t;
  std::vector<uint64_t> a(256, 0xffffffff81000000ull), b{1, 2};
  for (int i = 0; i < 1000; i++) EXPECT_EQ(t.define(a), static_cast<StackId>(i + 1));
  EXPECT_EQ(t.define(b), 1001u);
  EXPECT_EQ(t.size(), 2u);  // distinct stacks
  EXPECT_EQ(t.next_id(), 1002u);
  EXPECT_EQ(t.frames(500).size(), 256u);
  EXPECT_EQ(t.frames(1001)[1], 2u);
  EXPECT_EQ(t.intern(a), 1u);  // the first id that named them
  EXPECT_TRUE(t.define({}) == 0 && t.next_id() == 1002u);
}

// Symbols arriving out of order, each followed by a lookup (a symbol record before every event):
// each costs O(log n), not a sort of the table; a symbol given twice is kept once.
TEST(Symbols, OutOfOrderSymbolsBetweenLookups) {
  SymbolTable s;
  constexpr uint64_t kTop = 0xffffffff82000000ull;
  constexpr int kSymbols = 50000;
  for (int i = 0; i < kSymbols; i++) {
    uint64_t addr = kTop - 0x10ull * i;
    s.add({addr, 't', fmt::format("f{}", i), "", 0x10});
    s.add({addr, 't', fmt::format("f{}", i), "", 0x10});
    s.finalize();
    ASSERT_EQ(s.now().format(addr + 4), fmt::format("f{}+0x4", i));
  }
  EXPECT_EQ(s.size(), static_cast<size_t>(kSymbols));
  EXPECT_EQ(s.now().format(kTop + 0x8), "f0+0x8");
  EXPECT_EQ(s.kernel_symbols().front().name, fmt::format("f{}", kSymbols - 1));  // address order
}

// The edit-build-reload loop many times over: each load at its own epoch names its own code,
// and neither a lookup now nor one at a past epoch scans every load.
TEST(Symbols, ManyLoadsAtOneAddress) {
  const uint64_t text = 0xffffffffc0100000, data = 0xffffffffc0200000;
  constexpr int kLoads = 20000;
  SymbolTable s;
  std::vector<SymbolEpoch> at;
  for (int i = 0; i < kLoads; i++) {
    std::string name = fmt::format("m{}", i % 3);
    at.push_back(s.note(load_event(0xffffffffc0005000, name, text, 0x2000)));
    s.add({text + 0x100, 't', fmt::format("open{}", i), name, 0x80});
    s.add({data, 'b', fmt::format("lock{}", i), name, 0x20});
    s.finalize();
    ASSERT_EQ(s.now().format(text + 0x108), fmt::format("open{}+0x8 [m{}]", i, i % 3));
    ASSERT_EQ(s.now().lock_name(data + 8), fmt::format("lock{}+0x8", i));
    // The free is still named with the module's symbols; the next addition closes the load.
    SymbolEpoch freed = s.note(free_event(0xffffffffc0005000));
    ASSERT_EQ(s.at(freed).lock_name(data), fmt::format("lock{}", i));
  }
  s.finalize();
  EXPECT_EQ(s.now().format(text + 0x108), fmt::format("0x{:x}", text + 0x108));
  for (int i = 0; i < kLoads; i += 997) {
    EXPECT_EQ(s.at(at[i]).format(text + 0x108), fmt::format("open{}+0x8 [m{}]", i, i % 3));
    EXPECT_EQ(s.at(at[i]).lock_name(data), fmt::format("lock{}", i));
  }
  EXPECT_EQ(s.loads().size(), static_cast<size_t>(kLoads));
}

// A module reloaded unchanged in a loop (a reload stress test) keeps one copy of its symbols for
// all those loads, yet each load stays apart: named while it is live, unnamed once it is gone;
// a rebuilt reload (a renamed function) or one placed elsewhere names its code by its own symbols.
TEST(Symbols, IdenticalReloadsShareTheirSymbols) {
  const uint64_t text = 0xffffffffc0100000, data = 0xffffffffc0180000;
  SymbolTable s;
  s.add({0xffffffff81000000, 'T', "try_module_get", ""});
  struct Cycle {
    SymbolEpoch live, gone;
    uint64_t text;
    std::string open;
  };
  std::vector<Cycle> cycles;
  auto cycle = [&](uint64_t at, const std::string& open) {
    SymbolEpoch live = s.note(load_event(0x1000, "zeta", at, 0x2000));
    s.add({at + 0x100, 't', open, "zeta", 0x80});
    s.add({data, 'b', "zeta_lock", "zeta", 0x20});
    s.finalize();
    s.note(free_event(0x1000));
    s.finalize();
    cycles.push_back({live, s.epoch(), at, open});
  };
  for (int i = 0; i < 100; i++) cycle(text, "zeta_open");
  EXPECT_EQ(s.size(), 1u + 2u);       // vmlinux's, and zeta's once
  cycle(text, "zeta_open_v2");        // rebuilt
  cycle(text + 0x4000, "zeta_open");  // placed elsewhere
  cycle(text, "zeta_open");
  EXPECT_EQ(s.size(), 1u + 4u * 2u);
  ASSERT_EQ(s.loads().size(), cycles.size());
  for (size_t k = 0; k < cycles.size(); k++) {
    const Cycle& c = cycles[k];
    SCOPED_TRACE(k);
    EXPECT_EQ(s.image(s.loads()[k]).symbols, 2u);
    EXPECT_EQ(s.module_symbols(k).front().name, c.open);
    EXPECT_EQ(s.at(c.live).format(c.text + 0x108), c.open + "+0x8 [zeta]");
    EXPECT_EQ(s.at(c.live).lock_name(data + 8), "zeta_lock+0x8");
    EXPECT_EQ(s.at(c.gone).format(c.text + 0x108), fmt::format("0x{:x}", c.text + 0x108));
    EXPECT_EQ(s.at(c.gone).lock_name(data + 8), fmt::format("0x{:x}", data + 8));
    EXPECT_EQ(s.at(c.live).load_at(c.text), &s.loads()[k]);
  }
  EXPECT_EQ(s.at(cycles[101].live).format(text + 0x108), fmt::format("0x{:x}", text + 0x108));
}

// Past the end of a module's text, an address is named by none of its functions, whatever their
// number and sizes, at the present and at a past epoch alike; its data symbols still name theirs.
TEST(Symbols, AddressPastAModulesTextIsNotItsFunctions) {
  const uint64_t text = 0xffffffffc0100000, data = text + 0x3000;
  SymbolTable s;
  s.add({0xffffffff81000000, 'T', "try_module_get", ""});
  SymbolEpoch eta = s.note(load_event(0x1000, "eta", text, 0x2000));
  s.add({text + 0x10, 't', "eta_first", "eta"});  // kallsyms: no sizes
  s.add({text + 0x800, 't', "eta_middle", "eta"});
  s.add({text + 0x1f00, 't', "eta_last", "eta"});
  s.add({data, 'b', "eta_lock", "eta", 0x40});
  s.add({text - 0x100, 'd', "eta_table", "eta"});  // below its text, size unknown
  s.finalize();
  auto check = [&](const SymbolView& v) {
    EXPECT_EQ(v.format(text + 0x804), "eta_middle+0x4 [eta]");
    EXPECT_EQ(v.format(text + 0x1f08), "eta_last+0x8 [eta]");
    EXPECT_EQ(v.format(text + 0x2010), fmt::format("0x{:x}", text + 0x2010));
    EXPECT_EQ(v.format(text - 0xf8), "eta_table+0x8 [eta]");
    EXPECT_EQ(v.lock_name(data + 0x18), "eta_lock+0x18");
    EXPECT_EQ(v.lock_name(data + 0x48), fmt::format("0x{:x}", data + 0x48));
  };
  check(s.now());
  s.note(load_event(0x2000, "theta", 0xffffffffc0400000, 0x1000));  // eta's epoch is now past
  s.finalize();
  check(s.at(eta));
}

// Views of the past with many modules live at once (the report names each site as the trace
// stood when it was first seen): each lookup is a few binary searches, not a walk over the
// loads live then.
TEST(Symbols, PastViewsWithManyLiveLoads) {
  constexpr int kLoads = 20000;
  const uint64_t base = 0xffffffffc0000000;
  SymbolTable s;
  std::vector<SymbolEpoch> at;
  for (int i = 0; i < kLoads; i++) {
    std::string name = fmt::format("m{}", i);
    uint64_t text = base + 0x2000ull * i;
    at.push_back(s.note(load_event(0xffffffffa0000000 + 0x1000ull * i, name, text, 0x1000)));
    s.add({text + 0x10, 't', fmt::format("f{}", i), name, 0x20});
    s.add({text + 0x1800, 'b', fmt::format("lock{}", i), name, 8});  // data outside its text
  }
  s.finalize();
  for (int i = 0; i < kLoads; i++) {
    uint64_t text = base + 0x2000ull * i;
    ASSERT_EQ(s.at(at[i]).format(text + 0x14), fmt::format("f{}+0x4 [m{}]", i, i));
    ASSERT_EQ(s.at(at[i]).lock_name(text + 0x1800), fmt::format("lock{}", i));
    if (i + 1 < kLoads) {  // not loaded yet
      ASSERT_EQ(s.at(at[i]).format(text + 0x2014), fmt::format("0x{:x}", text + 0x2014));
    }
  }
}

// do_init_module frees a module's init text once it is live, and the next module's text may
// land there: from then on the address is the new module's, also in views of the past.
TEST(Symbols, TextOverFreedInitIsTheNewLoads) {
  const uint64_t core = 0xffffffffc0100000, init = 0xffffffffc0200000;
  SymbolTable s;
  Event a = load_event(0x1000, "alpha", core, 0x1000);
  std::get<ModuleLoad>(a.data).init_text_start = init;
  std::get<ModuleLoad>(a.data).init_text_size = 0x1000;
  SymbolEpoch alpha = s.note(a);
  s.add({init + 0x10, 't', "alpha_init", "alpha", 0x100});
  SymbolEpoch beta = s.note(load_event(0x2000, "beta", init - 0x800, 0x2000));
  s.add({init + 0x10, 't', "beta_fn", "beta", 0x100});
  s.note(load_event(0x3000, "gamma", 0xffffffffc0400000, 0x1000));  // a later change
  s.finalize();
  EXPECT_EQ(s.at(alpha).format(init + 0x14), "alpha_init+0x4 [alpha]");
  EXPECT_EQ(s.at(beta).format(init + 0x14), "beta_fn+0x4 [beta]");
  EXPECT_EQ(s.now().format(init + 0x14), "beta_fn+0x4 [beta]");
}
