// SPDX-License-Identifier: GPL-2.0-only
#include "loader/load_failure.h"

#include <regex>
#include <set>
#include <vector>

#include <fmt/format.h>

namespace modrace::loader {

std::string explain_load_failure(std::string_view libbpf_warnings, const LoadEnvironment& env) {
  std::vector<std::string> why;
  const std::string w(libbpf_warnings);
  if (!env.btf)
    why.push_back(
        "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing: CONFIG_DEBUG_INFO_BTF=y is "
        "needed)");
  if (!env.kprobe_pmu && env.kprobe_tried)
    why.push_back(
        "kprobes are not available (no kprobe event source in /sys/bus/event_source/devices: "
        "CONFIG_KPROBES=y is needed)");
  // The verifier's "ldimm64 failed to find the address for kernel symbol 'X'": a __ksym a
  // program reads that this kernel does not have (renamed or configured out).
  static const std::regex ksym(R"(kernel symbol '([A-Za-z0-9_.]+)')");
  std::set<std::string> missing;
  for (auto it = std::sregex_iterator(w.begin(), w.end(), ksym); it != std::sregex_iterator(); ++it)
    missing.insert((*it)[1]);
  for (const auto& s : missing)
    why.push_back(fmt::format(
        "the kernel has no symbol '{}', which modrace's programs read (a kernel newer than, or "
        "configured unlike, those in docs/kernels.md)",
        s));
  if (w.find("Operation not permitted") != std::string::npos)
    why.push_back("not permitted: run as root (CAP_BPF and CAP_PERFMON)");
  std::string out;
  for (size_t i = 0; i < why.size(); i++) out += (i ? "; " : "") + why[i];
  return out;
}

}  // namespace modrace::loader
