// SPDX-License-Identifier: GPL-2.0-only
//
// The loader's attach table (userspace/loader/probes.cpp) against the BPF object it attaches:
// every row's programs exist, on the row's function, and every program has its row. Opening the
// skeleton parses the embedded object only (no bpf() call), so this needs no privilege.
#include <gtest/gtest.h>

#include <bpf/libbpf.h>

#include <map>
#include <set>
#include <string>

#include "loader/probes.h"
#include "loader/skel.h"

using namespace modrace::loader;

namespace {

constexpr unsigned kAllBits[] = {kProgFentry, kProgFexit, kProgKprobe, kProgKretprobe,
                                 kProgTracepoint};

// The ELF section a program of this kind on `function` is in (its SEC()).
std::string section_for(unsigned bit, const std::string& function) {
  switch (bit) {
    case kProgFentry:
      return "fentry/" + function;
    case kProgFexit:
      return "fexit/" + function;
    case kProgKprobe:
      return "kprobe/" + function;
    case kProgKretprobe:
      return "kretprobe/" + function;
    case kProgTracepoint:
      return "tp_btf/" + function;
  }
  return "?";
}

struct Skeleton {
  modrace_bpf* skel = modrace_bpf__open();
  ~Skeleton() { modrace_bpf__destroy(skel); }
};

}  // namespace

TEST(ProbeTable, EveryRowHasTheProgramsItPromises) {
  Skeleton s;
  ASSERT_NE(s.skel, nullptr) << "modrace_bpf__open failed";
  for (const auto& p : attach_points()) {
    EXPECT_NE(p.programs, 0u) << p.id << ": a row without programs";
    for (unsigned bit : kAllBits) {
      if (!(p.programs & bit)) continue;
      const std::string name = program_prefix(bit) + std::string(p.id);
      const bpf_program* prog = bpf_object__find_program_by_name(s.skel->obj, name.c_str());
      if (!prog) {
        ADD_FAILURE() << p.id << ": the table promises " << name
                      << ", the BPF object has no such program (bpf/*.bpf.h, bpf/lock_probes.def "
                         "and userspace/loader/probes.cpp out of step)";
        continue;
      }
      EXPECT_EQ(bpf_program__section_name(prog), section_for(bit, p.function))
          << name << " is attached to another function than its row's";
    }
  }
}

TEST(ProbeTable, EveryProgramHasARow) {
  Skeleton s;
  ASSERT_NE(s.skel, nullptr);
  std::map<std::string, const AttachPoint*> by_id;
  for (const auto& p : attach_points()) {
    EXPECT_TRUE(by_id.emplace(p.id, &p).second) << "duplicate id " << p.id;
  }
  int n = 0;
  bpf_program* prog;
  bpf_object__for_each_program(prog, s.skel->obj) {
    const std::string name = bpf_program__name(prog);
    n++;
    if (name == "it_task_states") continue;  // the iterator: enabled by the loader by name
    bool found = false;
    for (unsigned bit : kAllBits) {
      const std::string pre = program_prefix(bit);
      if (name.rfind(pre, 0) != 0) continue;
      auto it = by_id.find(name.substr(pre.size()));
      found = it != by_id.end() && (it->second->programs & bit);
    }
    EXPECT_TRUE(found) << name << ": a BPF program no row of attach_points() attaches";
  }
  EXPECT_GT(n, 100);
}

TEST(ProbeTable, FlavourFlagsFollowThePrograms) {
  for (const auto& p : attach_points()) {
    EXPECT_EQ(p.has_fentry, (p.programs & (kProgFentry | kProgFexit)) != 0) << p.id;
    EXPECT_EQ(p.has_kprobe, (p.programs & (kProgKprobe | kProgKretprobe)) != 0) << p.id;
    EXPECT_EQ(p.tracepoint, (p.programs & kProgTracepoint) != 0) << p.id;
    // Every method the loader can choose for the point names at least one program.
    if (p.has_fentry) EXPECT_FALSE(program_names(p, "fentry").empty()) << p.id;
    if (p.has_kprobe) EXPECT_FALSE(program_names(p, "kprobe").empty()) << p.id;
    if (p.tracepoint) EXPECT_FALSE(program_names(p, "tracepoint").empty()) << p.id;
  }
}

TEST(ProbeTable, ReturnProbesAttachBeforeEntryProbes) {
  for (const auto& p : attach_points()) {
    if (std::string(p.id) != "delete_module") continue;
    EXPECT_EQ(program_names(p, "fentry"),
              (std::vector<std::string>{"fx_delete_module", "fe_delete_module"}));
    EXPECT_EQ(program_names(p, "kprobe"),
              (std::vector<std::string>{"kr_delete_module", "kp_delete_module"}));
    EXPECT_TRUE(program_names(p, "tracepoint").empty());
  }
}

// Points are attached in reverse table order; these rows rely on it (probes.cpp).
TEST(ProbeTable, OrderTheAttachSequenceReliesOn) {
  std::map<std::string, size_t> at;
  const auto& t = attach_points();
  for (size_t i = 0; i < t.size(); i++) at[t[i].id] = i;
  EXPECT_LT(at.at("module_syms"), at.at("module_load"));
  // Each lock family's releases come after its acquires.
  for (auto [acq, rel] : std::initializer_list<std::pair<const char*, const char*>>{
           {"mutex_trylock", "mutex_unlock"},
           {"_raw_spin_trylock", "_raw_spin_unlock"},
           {"_raw_read_lock_bh", "_raw_read_unlock"},
           {"_raw_write_lock_bh", "_raw_write_unlock"},
           {"rt_spin_trylock", "rt_spin_unlock"},
           {"down_write_trylock", "up_read"}})
    EXPECT_LT(at.at(acq), at.at(rel)) << acq << " / " << rel;
}
