// SPDX-License-Identifier: GPL-2.0-only
//
// What the running kernel offers the tracer, read once before anything is loaded: BTF functions,
// members and tracepoints, ftrace locations, kallsyms text, BPF helpers, the preemption model
// (bpftrace's bpffeature). A plain value: attach_plan.h decides from it without a kernel, and
// tests build one by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

#include "loader/kallsyms.h"

struct btf;

namespace modrace::loader {

// The kernel's preemption model and whether it proves a lock probe's recursion misses harmless:
// a non-sleepable program that cannot be preempted (none/voluntary) can only be re-entered on
// its CPU by an interrupt nested in it, and lock tracking ignores interrupt context.
struct PreemptModel {
  std::string model = "unknown";  // none, voluntary, full, lazy, rt, unknown
  std::string source;             // where it was read: debugfs, cmdline, config, uname
  bool task_cannot_preempt_probes() const { return model == "none" || model == "voluntary"; }
};
PreemptModel detect_preempt_model();

struct KernelFeatures {
  bool has_lockdep = false;  // task_struct.held_locks in BTF
  // Of the attach points' functions: those in BTF (BTF_KIND_FUNC), those with a tp_btf
  // tracepoint (btf_trace_<name>), and those kallsyms has as text (a kprobe can be tried).
  std::unordered_set<std::string> btf_functions;
  std::unordered_set<std::string> btf_tracepoints;
  std::unordered_set<std::string> kallsyms_text;
  // Which fentry candidates the kernel can ftrace (available_filter_functions): fentry attaches
  // only there (none without a function tracer). Empty optional when tracefs cannot be read:
  // BTF alone decides then (loader/tracefs.h).
  std::optional<std::unordered_set<std::string>> ftrace_locations;
  std::optional<uint64_t> module_notify_list;  // in kallsyms only with CONFIG_KALLSYMS_ALL
  bool bpf_loop = false;                       // the in-kernel symbol walk needs it (5.17)
  PreemptModel preempt;

  bool btf_has_func(const std::string& fn) const { return btf_functions.count(fn) != 0; }
  bool fentry_ok(const std::string& fn) const {
    return btf_has_func(fn) && (!ftrace_locations || ftrace_locations->count(fn));
  }
};

// Reads the features the attach points (probes.h) need from the kernel's BTF, kallsyms, tracefs
// and BPF helper probes.
KernelFeatures probe_kernel_features(const btf* vmlinux, const Kallsyms& ksyms);

}  // namespace modrace::loader
