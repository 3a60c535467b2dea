// SPDX-License-Identifier: GPL-2.0-only
//
// What the loader reads from the kernel's BTF for its attach points: which functions are BTF
// functions (fentry candidates) and which tracepoints have a btf_trace_<name> typedef (tp_btf),
// here on a BTF built in the test.
#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <fstream>

#include "loader/kallsyms.h"
#include "loader/kernel_features.h"
#include "trace_test_util.h"

using namespace modrace::loader;

TEST(KernelFeatures, BtfFunctionsAndTracepointsOfTheAttachPoints) {
  btf* b = btf__new_empty();
  ASSERT_NE(b, nullptr);
  int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  int proto = btf__add_func_proto(b, i32);
  ASSERT_GT(proto, 0);
  for (const char* fn : {"try_module_get", "module_put", "not_an_attach_point"})
    ASSERT_GT(btf__add_func(b, fn, BTF_FUNC_GLOBAL, proto), 0);
  // A typedef named like a function is not a function; a function named like a tracepoint
  // typedef is not a tracepoint.
  ASSERT_GT(btf__add_typedef(b, "__module_get", i32), 0);
  ASSERT_GT(btf__add_typedef(b, "btf_trace_module_load", proto), 0);
  ASSERT_GT(btf__add_typedef(b, "btf_trace_not_a_point", proto), 0);
  ASSERT_GT(btf__add_func(b, "btf_trace_module_free", BTF_FUNC_GLOBAL, proto), 0);

  modrace::test::TempFile ks("kallsyms");
  std::ofstream(ks.path()) << "ffffffff81001000 T try_module_get\n"
                              "ffffffff81002000 T __module_get\n";
  KernelFeatures f = probe_kernel_features(b, Kallsyms::read(ks.path()));
  btf__free(b);

  EXPECT_TRUE(f.btf_has_func("try_module_get"));
  EXPECT_TRUE(f.btf_has_func("module_put"));
  EXPECT_FALSE(f.btf_has_func("__module_get"));
  EXPECT_EQ(f.btf_functions.count("not_an_attach_point"), 0u);  // only the attach points'
  EXPECT_EQ(f.btf_tracepoints, (std::unordered_set<std::string>{"module_load"}));
  EXPECT_EQ(f.kallsyms_text, (std::unordered_set<std::string>{"try_module_get", "__module_get"}));
}
