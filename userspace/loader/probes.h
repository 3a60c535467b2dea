// SPDX-License-Identifier: GPL-2.0-only
//
// The attach points of bpf/modrace.bpf.c and the flavours each one has. Program names follow
// a convention: fe_ID/fx_ID (fentry/fexit), kp_ID/kr_ID (kprobe/kretprobe), tp_ID (tp_btf).
#pragma once

#include <string>
#include <vector>

namespace modrace::loader {

enum class ProbeGroup {
  calibration,
  lifecycle,
  syscall,
  refcount,
  driver,
  rcu_sync,
  locks,
  lockdep,
  widen  // --widen only (bpf/widen.bpf.h)
};

// The programs bpf/modrace.bpf.c has for an attach point: one bit per program-name prefix.
enum ProgramBit : unsigned {
  kProgFentry = 1u << 0,      // fe_ID
  kProgFexit = 1u << 1,       // fx_ID
  kProgKprobe = 1u << 2,      // kp_ID
  kProgKretprobe = 1u << 3,   // kr_ID
  kProgTracepoint = 1u << 4,  // tp_ID (tp_btf)
};

struct AttachPoint {
  const char* id;        // program name suffix
  const char* function;  // kernel function or tracepoint
  ProbeGroup group;
  bool required;      // recording is pointless without it
  bool tracepoint;    // a tp_ program exists (from `programs`)
  bool has_fentry;    // an fe_/fx_ flavour exists (from `programs`)
  bool has_kprobe;    // a kp_/kr_ flavour exists (from `programs`)
  unsigned programs;  // ProgramBit set: every program the BPF object has for this point
};

// The table, in attach order reversed (see probes.cpp). The lock rows are bpf/lock_probes.def.
const std::vector<AttachPoint>& attach_points();
const char* to_string(ProbeGroup g);

// "fe_" for kProgFentry, and so on; nullptr for anything but a single ProgramBit.
const char* program_prefix(unsigned bit);

// The programs that make up `method` ("fentry", "kprobe", "tracepoint") for `p`, in attach
// order: the return probe before the entry probe (the handler registered last on an address runs
// first, and a kprobe must read the return address before a kretprobe replaces it). Empty when
// `p` has no program for that method.
std::vector<std::string> program_names(const AttachPoint& p, const std::string& method);

// What was decided for one attach point, and why.
struct ProbeStatus {
  const AttachPoint* point = nullptr;
  std::string method;  // "fentry", "kprobe", "tracepoint", or "" when not attached
  bool attached = false;
  std::string why;  // when not attached, or why the fallback was taken
};

}  // namespace modrace::loader
