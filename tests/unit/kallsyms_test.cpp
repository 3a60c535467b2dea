// SPDX-License-Identifier: GPL-2.0-only
//
// /proc/kallsyms as the loader reads it: symbols, hidden addresses, our own BPF frames, and the
// second read after attach that takes only the module lines.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "events/error.h"
#include "loader/kallsyms.h"
#include "trace_test_util.h"

using modrace::loader::Kallsyms;

namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const char* kBoot =
    "ffffffff81000000 T _stext\n"
    "ffffffff81001000 T try_module_get\n"
    "ffffffff81002000 t helper\n"
    "ffffffff82000000 D misc_mtx\n"
    "ffffffffc0100000 t seed_open\t[seed_drv]\n"
    "ffffffffc0102000 d seed_lock\t[seed_drv]\n";

}  // namespace

TEST(Kallsyms, ReadsSymbolsAndModules) {
  modrace::test::TempFile f("kallsyms");
  write(f.path(), kBoot);
  Kallsyms k = Kallsyms::read(f.path());
  ASSERT_EQ(k.symbols().size(), 6u);
  EXPECT_FALSE(k.addresses_hidden());
  EXPECT_EQ(k.address("misc_mtx").value_or(0), 0xffffffff82000000u);
  EXPECT_EQ(k.address("seed_lock", "seed_drv").value_or(0), 0xffffffffc0102000u);
  EXPECT_FALSE(k.address("seed_lock").has_value());  // not a vmlinux symbol
  // Text of vmlinux only: misc_mtx is data, seed_open a module's.
  auto text = k.text_of({"try_module_get", "helper", "misc_mtx", "seed_open", "absent"});
  EXPECT_EQ(text, (std::unordered_set<std::string>{"try_module_get", "helper"}));
}

TEST(Kallsyms, ZeroAddressesAreHidden) {
  modrace::test::TempFile f("kallsyms");
  write(f.path(), "0000000000000000 T _stext\n0000000000000000 T try_module_get\n");
  EXPECT_TRUE(Kallsyms::read(f.path()).addresses_hidden());
}

// After attach: our programs and trampolines ([bpf]) appear, a module came and another went;
// vmlinux is kept as first read (the refresh parses only the module lines).
TEST(Kallsyms, RefreshTakesTheModuleLinesOfTheNewRead) {
  modrace::test::TempFile f("kallsyms");
  write(f.path(), kBoot);
  Kallsyms k = Kallsyms::read(f.path());
  EXPECT_FALSE(k.is_bpf(0xffffffffa0001010));
  write(f.path(),
        "ffffffff81000000 T _stext\n"
        "ffffffff81001000 T try_module_get\n"
        "ffffffff81002000 t helper\n"
        "ffffffff82000000 D misc_mtx\n"
        "ffffffffc0200000 t late_fn\t[late]\n"
        "ffffffffa0001000 t bpf_prog_6deef7357e7b4530_fe_mutex_lock\t[bpf]\n"
        "ffffffffa0003000 t bpf_trampoline_6442455556\t[bpf]\n");
  k.refresh_modules(f.path());
  EXPECT_TRUE(k.is_bpf(0xffffffffa0001010));
  EXPECT_TRUE(k.is_bpf(0xffffffffa0003000));
  EXPECT_FALSE(k.is_bpf(0xffffffff81001010));
  EXPECT_FALSE(k.address("seed_open", "seed_drv").has_value());  // unloaded since
  EXPECT_EQ(k.address("late_fn", "late").value_or(0), 0xffffffffc0200000u);
  EXPECT_EQ(k.address("try_module_get").value_or(0), 0xffffffff81001000u);
  EXPECT_EQ(k.symbols().size(), 7u);
  EXPECT_EQ(k.text_of({"try_module_get"}).size(), 1u);
}

TEST(Kallsyms, UnreadableFileIsAnError) {
  EXPECT_THROW(Kallsyms::read("/nonexistent/kallsyms"), modrace::Error);
}

// A frame is ours when the symbol at or below it is [bpf]: programs between module text, a
// program sharing its address with another symbol, runs of programs, and the last symbol of all.
TEST(Kallsyms, BpfFramesAreThoseWhoseSymbolIsBpf) {
  modrace::test::TempFile f("kallsyms");
  write(f.path(),
        "ffffffffc0003000 t bpf_prog_c_kr_module_put\t[bpf]\n"  // out of address order
        "ffffffff81000000 T _stext\n"
        "ffffffffc0000000 t mod_fn\t[mod_a]\n"
        "ffffffffc0001000 t bpf_prog_a_kp_try_module_get\t[bpf]\n"
        "ffffffffc0002000 t bpf_prog_b_kr_try_module_get\t[bpf]\n"
        "ffffffffc0003000 t shared_addr_fn\t[mod_b]\n"
        "ffffffffc0004000 t mod_b_fn\t[mod_b]\n"
        "ffffffffc0005000 t bpf_trampoline_42\t[bpf]\n");
  Kallsyms k = Kallsyms::read(f.path());
  EXPECT_FALSE(k.is_bpf(0xffffffff80000000));  // below every symbol
  EXPECT_FALSE(k.is_bpf(0xffffffff81000010));
  EXPECT_FALSE(k.is_bpf(0xffffffffc0000ff8));
  EXPECT_TRUE(k.is_bpf(0xffffffffc0001000));
  EXPECT_TRUE(k.is_bpf(0xffffffffc0002ff8));  // the next program of the run
  EXPECT_TRUE(k.is_bpf(0xffffffffc0003010));  // [bpf] and a module symbol at one address
  EXPECT_FALSE(k.is_bpf(0xffffffffc0004000));
  EXPECT_FALSE(k.is_bpf(0xffffffffc0004ff8));
  EXPECT_TRUE(k.is_bpf(0xffffffffc0005000));  // the last symbol: to the end of the space
  EXPECT_TRUE(k.is_bpf(0xffffffffffff0000));
}
