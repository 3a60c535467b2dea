// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "events/error.h"
#include "trace/symbolize.h"

using namespace modrace;
namespace fs = std::filesystem;

namespace {
// A throw-away directory with a relocatable object built with DWARF, standing in for a .ko (both
// are ET_REL with .text and .debug_line). Empty when no C compiler is available.
class KoFixture {
 public:
  KoFixture() {
    dir_ = fs::temp_directory_path() / ("modrace-ko-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "sub");
    std::ofstream(dir_ / "seed_trace.c") << "int seed_helper(int x)\n"     // 1
                                            "{\n"                          // 2
                                            "\treturn x * 3;\n"            // 3
                                            "}\n"                          // 4
                                            "int seed_open(int x)\n"       // 5
                                            "{\n"                          // 6
                                            "\tint y = seed_helper(x);\n"  // 7
                                            "\treturn y + 1;\n"            // 8
                                            "}\n";
    ko_ = (dir_ / "sub" / "seed-core.ko").string();
    std::string cmd =
        "cc -g -O0 -c " + (dir_ / "seed_trace.c").string() + " -o " + ko_ + " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) ko_.clear();
  }
  ~KoFixture() { fs::remove_all(dir_); }
  const std::string& ko() const { return ko_; }
  std::string dir() const { return dir_.string(); }

 private:
  fs::path dir_;
  std::string ko_;
};
}  // namespace

TEST(Symbolize, ModuleNameFromPath) {
  EXPECT_EQ(module_name_from_path("/lib/modules/6.1/kernel/drivers/seed-core.ko"), "seed_core");
  EXPECT_EQ(module_name_from_path("snd_hda.ko.xz"), "snd_hda");
  EXPECT_EQ(module_name_from_path("x.ko.zst"), "x");
}

TEST(Symbolize, FormatterWithoutDwarfIsTheSymbolTable) {
  SymbolTable s;
  s.add({0xffffffffc0000000ull, 't', "seed_open", "seed_core"});
  s.finalize();
  FrameFormatter f({});
  EXPECT_EQ(f.format(s.now(), 0xffffffffc0000010ull), "seed_open+0x10 [seed_core]");
  EXPECT_FALSE(f.source_line(s.now(), 0xffffffffc0000010ull).has_value());
}

TEST(Symbolize, MissingKoFileIsAUserError) {
  EXPECT_THROW(collect_ko_files({"/nonexistent/x.ko"}, ""), Error);
  EXPECT_THROW(collect_ko_files({}, "/nonexistent-dir"), Error);
}

TEST(Symbolize, DwarfFileAndLineFromKo) {
  KoFixture fx;
  if (fx.ko().empty()) GTEST_SKIP() << "no C compiler to build the fixture";
  auto kos = collect_ko_files({}, fx.dir());
  ASSERT_EQ(kos.size(), 1u);
  EXPECT_EQ(kos[0], fx.ko());

  DwarfSymbolizer d(kos);
  EXPECT_TRUE(d.has_module("seed_core"));
  EXPECT_EQ(d.source_line("seed_core", "seed_open", 0, false).value_or("?"), "seed_trace.c:6");
  EXPECT_EQ(d.source_line("seed_core", "seed_helper", 0, false).value_or("?"), "seed_trace.c:2");
  EXPECT_FALSE(d.source_line("seed_core", "no_such_function", 0).has_value());
  EXPECT_FALSE(d.source_line("other_mod", "seed_open", 0).has_value());

  // Through the formatter: a frame at the start of seed_open in the loaded module.
  SymbolTable s;
  s.add({0xffffffffc0000000ull, 't', "seed_helper", "seed_core"});
  s.add({0xffffffffc0000100ull, 't', "seed_open", "seed_core"});
  s.add({0xffffffff81000000ull, 'T', "vfs_open", ""});
  s.finalize();
  FrameFormatter f(kos);
  EXPECT_EQ(f.format(s.now(), 0xffffffffc0000100ull), "seed_open+0x0 [seed_core] (seed_trace.c:6)");
  // A return address inside seed_open maps to a line of seed_open.
  auto line = f.source_line(s.now(), 0xffffffffc0000100ull + 0x12);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->rfind("seed_trace.c:", 0), 0u) << *line;
  // vmlinux frames have no .ko: plain symbol.
  EXPECT_EQ(f.format(s.now(), 0xffffffff81000004ull), "vfs_open+0x4");
}
