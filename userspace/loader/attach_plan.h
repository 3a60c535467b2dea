// SPDX-License-Identifier: GPL-2.0-only
//
// The attach decisions, without a kernel: for each attach point (probes.h), given the kernel's
// features (kernel_features.h) and the options, which method it gets (fentry, kprobe,
// tracepoint) or why none, and which configurations a load tries in turn. Pure functions, unit-
// tested in tests/unit/attach_plan_test.cpp.
#pragma once

#include <string>
#include <vector>

#include "events/event.h"
#include "loader/kernel_features.h"
#include "loader/probes.h"

namespace modrace::loader {

enum class LockMode { auto_, lockdep, probe, off };
// "auto", "lockdep", "probe", "off"; throws modrace::Error otherwise.
LockMode lock_mode_from_string(const std::string& s);

// The held-lock provider --locks asks for on this kernel: auto takes lockdep where the kernel
// has it. Throws modrace::Error for --locks lockdep on a kernel without lockdep.
LockProvider choose_lock_provider(LockMode mode, const KernelFeatures& k);

struct PlanOptions {
  LockProvider provider = LockProvider::off;
  bool prefer_kprobe = false;  // no fentry anywhere
  bool walk_syms = true;       // this load includes the in-kernel symbol walk
  bool widen = false;          // --widen was given
};

// The method for one attach point ("" with a reason in `why` when none), `attached` false.
ProbeStatus plan_attach_point(const AttachPoint& p, const KernelFeatures& k, const PlanOptions& o);
// The same for every row of attach_points(), in table order.
std::vector<ProbeStatus> plan_attach(const KernelFeatures& k, const PlanOptions& o);

// Configurations a load tries in order until one loads: fentry where possible, then without
// the symbol walk (should the verifier refuse it), then kprobes only, then kprobes without it.
// Duplicates are dropped (--kprobe-only, no bpf_loop).
struct LoadAttempt {
  bool prefer_kprobe, walk_syms;
  bool operator==(const LoadAttempt&) const = default;
};
std::vector<LoadAttempt> load_attempts(bool prefer_kprobe, bool bpf_loop);
// After attempt `failed` could not load with plan `planned`: does a later attempt change
// anything that might have been refused (fentry programs, or the symbol walk)?
bool retry_may_help(const std::vector<LoadAttempt>& attempts, size_t failed,
                    const std::vector<ProbeStatus>& planned);

}  // namespace modrace::loader
