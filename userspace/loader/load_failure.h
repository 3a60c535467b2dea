// SPDX-License-Identifier: GPL-2.0-only
//
// Why the kernel refused modrace's BPF programs, in the words of the missing feature (kprobes,
// BTF, a kernel symbol a program reads, privileges) rather than libbpf's errno. Pure: the loader
// gathers libbpf's warnings and what the kernel offers; unit-tested without root.
#pragma once

#include <string>
#include <string_view>

namespace modrace::loader {

struct LoadEnvironment {
  bool btf = true;           // /sys/kernel/btf/vmlinux exists
  bool kprobe_pmu = true;    // /sys/bus/event_source/devices/kprobe exists (CONFIG_KPROBES)
  bool kprobe_tried = true;  // the failed load had kprobe programs
};

// "kprobes are not available ...; the kernel has no symbol '__preempt_count' ..." naming every
// cause found in `libbpf_warnings` (all of libbpf's warning lines of the failed load) and `env`;
// empty when none is recognised.
std::string explain_load_failure(std::string_view libbpf_warnings, const LoadEnvironment& env);

}  // namespace modrace::loader
