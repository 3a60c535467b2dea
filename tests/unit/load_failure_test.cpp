// SPDX-License-Identifier: GPL-2.0-only
//
// A refused load names the missing kernel feature (issue 18 item 8), from libbpf's warnings as a
// kernel without kprobes and without __preempt_count printed them (this machine's host kernel).
#include <gtest/gtest.h>

#include "loader/load_failure.h"

using namespace modrace::loader;

namespace {
constexpr const char* kNoKsym =
    "libbpf: prog 'kp_calib_kp': BPF program load failed: No such file or directory\n"
    "libbpf: prog 'kp_calib_kp': -- BEGIN PROG LOAD LOG --\n"
    "ldimm64 failed to find the address for kernel symbol '__preempt_count'.\n"
    "processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0\n"
    "-- END PROG LOAD LOG --\n"
    "libbpf: failed to load BPF skeleton 'modrace_bpf': -2\n";
}  // namespace

TEST(LoadFailure, NamesTheMissingKernelSymbolAndKprobes) {
  LoadEnvironment env;
  env.kprobe_pmu = false;
  std::string why = explain_load_failure(kNoKsym, env);
  EXPECT_NE(why.find("kprobes are not available"), std::string::npos) << why;
  EXPECT_NE(why.find("CONFIG_KPROBES"), std::string::npos) << why;
  EXPECT_NE(why.find("no symbol '__preempt_count'"), std::string::npos) << why;
  EXPECT_EQ(why.find("No such file"), std::string::npos) << why;  // not the errno
}

TEST(LoadFailure, NamesMissingBtfAndPrivileges) {
  LoadEnvironment env;
  env.btf = false;
  std::string why = explain_load_failure(
      "libbpf: Error in bpf_object__probe_loading(): Operation not permitted(1).\n", env);
  EXPECT_NE(why.find("no BTF"), std::string::npos) << why;
  EXPECT_NE(why.find("run as root"), std::string::npos) << why;
}

TEST(LoadFailure, NothingRecognisedIsEmpty) {
  EXPECT_EQ(explain_load_failure("libbpf: map 'events': failed to create: Invalid argument\n", {}),
            "");
}
