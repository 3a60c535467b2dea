// SPDX-License-Identifier: GPL-2.0-only
//
// Calibration: the preempt count and RCU nesting the BPF machinery itself adds when a kprobe or
// an fentry program runs, measured once after the load and subtracted from every lock context.
#pragma once

#include <cstdint>
#include <vector>

#include "loader/probes.h"

struct modrace_bpf;

namespace modrace::loader {

struct Calibration {
  uint32_t preempt[2] = {0, 0};  // [kprobe, fentry]: the machinery's own preempt count
  uint32_t rcu[2] = {0, 0};      // ... and rcu_read_lock nesting
  bool measured[2] = {false, false};
};

// Attaches the calibration programs the load enabled, makes the syscalls they trace from a
// thread that holds nothing, detaches them, and stores the baselines in the skeleton.
Calibration calibrate(modrace_bpf* skel);
// The calibration attach points are "attached" when their probe fired.
void mark_calibration_probes(const Calibration& c, std::vector<ProbeStatus>& probes);

}  // namespace modrace::loader
