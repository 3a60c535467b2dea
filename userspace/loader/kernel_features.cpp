// SPDX-License-Identifier: GPL-2.0-only
#include "loader/kernel_features.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/utsname.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "loader/probes.h"
#include "loader/tracefs.h"

namespace modrace::loader {

namespace {

// Which of `functions` are BTF functions, and which of `tracepoints` have a btf_trace_<name>
// typedef (tp_btf), in one pass over the types: btf__find_by_name_kind scans them all for each
// name, ~130k types a time for each of the attach points (half a second under emulation).
void btf_names(const btf* b, const std::unordered_set<std::string>& functions,
               const std::unordered_set<std::string>& tracepoints, KernelFeatures& f) {
  if (!b) return;
  constexpr std::string_view kTrace = "btf_trace_";
  std::string name;
  for (__u32 id = 1, n = btf__type_cnt(b); id < n; id++) {
    const btf_type* t = btf__type_by_id(b, id);
    bool fn = btf_is_func(t), td = btf_is_typedef(t);
    if (!fn && !td) continue;
    std::string_view nm = btf__name_by_offset(b, t->name_off);
    if (fn) {
      if (name.assign(nm); functions.count(name)) f.btf_functions.insert(name);
    } else if (nm.starts_with(kTrace)) {
      if (name.assign(nm.substr(kTrace.size())); tracepoints.count(name))
        f.btf_tracepoints.insert(name);
    }
  }
}

bool btf_struct_has_member(const btf* b, const char* st, const char* member) {
  if (!b) return false;
  int id = btf__find_by_name_kind(b, st, BTF_KIND_STRUCT);
  if (id < 0) return false;
  const btf_type* t = btf__type_by_id(b, id);
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); i++, m++)
    if (std::strcmp(btf__name_by_offset(b, m->name_off), member) == 0) return true;
  return false;
}

}  // namespace

PreemptModel detect_preempt_model() {
  PreemptModel pm;
  // PREEMPT_DYNAMIC kernels print the choices with the active one in parentheses:
  // "none (voluntary) full". Only there is a boot-time or runtime switch visible.
  {
    std::ifstream f("/sys/kernel/debug/sched/preempt");
    std::string line;
    if (std::getline(f, line)) {
      auto l = line.find('('), r = line.find(')');
      if (l != std::string::npos && r != std::string::npos && r > l + 1) {
        pm.model = line.substr(l + 1, r - l - 1);
        pm.source = "debugfs";
        return pm;
      }
    }
  }
  utsname u{};
  uname(&u);
  std::istringstream words(u.version);
  bool dynamic = false, preempt = false, rt = false, lazy = false;
  for (std::string w; words >> w;) {
    dynamic |= w == "PREEMPT_DYNAMIC";
    preempt |= w == "PREEMPT";
    rt |= w == "PREEMPT_RT";
    lazy |= w == "PREEMPT_LAZY";
  }
  if (rt) return {"rt", "uname"};
  if (dynamic) {
    // debugfs not mounted: preempt= on the command line wins, else the Kconfig default.
    std::ifstream cmdline("/proc/cmdline");
    for (std::string w; cmdline >> w;)
      if (w.rfind("preempt=", 0) == 0) return {w.substr(8), "cmdline"};
    std::ifstream cfg(std::string("/boot/config-") + u.release);
    for (std::string line; std::getline(cfg, line);) {
      if (line == "CONFIG_PREEMPT_NONE=y") return {"none", "config"};
      if (line == "CONFIG_PREEMPT_VOLUNTARY=y") return {"voluntary", "config"};
      if (line == "CONFIG_PREEMPT=y") return {"full", "config"};
      if (line == "CONFIG_PREEMPT_LAZY=y") return {"lazy", "config"};
    }
    return {"unknown", "uname"};
  }
  if (lazy) return {"lazy", "uname"};
  if (preempt) return {"full", "uname"};
  // No preemption support built in: "none" and "voluntary" are alike for this purpose.
  return {"voluntary", "uname"};
}

KernelFeatures probe_kernel_features(const btf* vmlinux, const Kallsyms& ksyms) {
  KernelFeatures f;
  f.has_lockdep = btf_struct_has_member(vmlinux, "task_struct", "held_locks");
  f.module_notify_list = ksyms.address("module_notify_list");
  f.preempt = detect_preempt_model();
  std::unordered_set<std::string> fentry_wanted, functions, tracepoints;
  for (const auto& p : attach_points()) {
    functions.insert(p.function);
    if (p.has_fentry) fentry_wanted.insert(p.function);
    if (p.tracepoint) tracepoints.insert(p.function);
  }
  btf_names(vmlinux, functions, tracepoints, f);
  f.kallsyms_text = ksyms.text_of(functions);
  f.ftrace_locations =
      ftrace_locations(fentry_wanted, {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"});
  f.bpf_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, nullptr) > 0;
  return f;
}

}  // namespace modrace::loader
