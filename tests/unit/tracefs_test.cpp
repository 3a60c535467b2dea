// SPDX-License-Identifier: GPL-2.0-only
//
// Which functions fentry can attach to, from tracefs (loader/tracefs.h), on made-up tracefs
// directories: a kernel with the function tracer lists them; a kernel without it (the tiny test
// kernel of tests/vm/tiny-kernel) has tracefs but no function list, and then no function has
// the fentry nop: attaching there failed with EBUSY before.
#include "loader/tracefs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace modrace::loader {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/modrace-tracefs-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

const std::unordered_set<std::string> kWanted = {"try_module_get", "module_put", "lock_acquire"};

TEST(Tracefs, FunctionListNamesTheFtraceableOnes) {
  TempDir t;
  t.write("available_events", "module:module_load\n");
  t.write("available_filter_functions",
          "try_module_get\nmodule_put\nother_function\n__x64_sys_delete_module\n");
  auto got = ftrace_locations(kWanted, {t.path.string()});
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, (std::unordered_set<std::string>{"try_module_get", "module_put"}));
}

TEST(Tracefs, NoFunctionTracerMeansNoFentryAnywhere) {
  TempDir t;
  t.write("available_events", "module:module_load\n");  // tracefs, without a function list
  auto got = ftrace_locations(kWanted, {t.path.string()});
  ASSERT_TRUE(got) << "tracefs was readable: the answer is 'none', not 'unknown'";
  EXPECT_TRUE(got->empty());
}

TEST(Tracefs, NoTracefsLeavesItToBtf) {
  TempDir empty;  // a mount point with nothing mounted on it
  EXPECT_FALSE(ftrace_locations(kWanted, {empty.path.string(), "/nonexistent/tracing"}));
}

TEST(Tracefs, FirstDirectoryThatAnswersWins) {
  TempDir unmounted, debugfs_tracing;
  debugfs_tracing.write("available_events", "x\n");
  debugfs_tracing.write("available_filter_functions", "module_put [some_mod]\n");
  auto got = ftrace_locations(kWanted, {unmounted.path.string(), debugfs_tracing.path.string()});
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, (std::unordered_set<std::string>{"module_put"}));
}

}  // namespace
}  // namespace modrace::loader
