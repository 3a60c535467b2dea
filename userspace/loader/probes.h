// SPDX-License-Identifier: GPL-2.0-only
//
// The attach points of bpf/modrace.bpf.c and the flavours each one has. Program names follow
// a convention: fe_ID/fx_ID (fentry/fexit), kp_ID/kr_ID (kprobe/kretprobe), tp_ID (tp_btf).
#pragma once

#include <string>
#include <vector>

namespace modrace::loader {

enum class ProbeGroup { calibration, lifecycle, syscall, refcount, driver, rcu_sync, locks, lockdep };

struct AttachPoint {
  const char* id;        // program name suffix
  const char* function;  // kernel function or tracepoint
  ProbeGroup group;
  bool required;         // recording is pointless without it
  bool tracepoint;       // tp_btf only
  bool has_fentry;       // an fe_/fx_ flavour exists
  bool has_kprobe;       // a kp_/kr_ flavour exists
};

const std::vector<AttachPoint>& attach_points();
const char* to_string(ProbeGroup g);

// What was decided for one attach point, and why.
struct ProbeStatus {
  const AttachPoint* point = nullptr;
  std::string method;  // "fentry", "kprobe", "tracepoint", or "" when not attached
  bool attached = false;
  std::string why;     // when not attached, or why the fallback was taken
};

}  // namespace modrace::loader
