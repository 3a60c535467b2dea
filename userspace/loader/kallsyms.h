// SPDX-License-Identifier: GPL-2.0-only
//
// /proc/kallsyms and the modules loaded before recording started. Needs root (kptr_restrict
// hides addresses otherwise).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "events/event.h"
#include "events/symbols.h"

namespace modrace::loader {

class Kallsyms {
 public:
  // Reads `path` (default /proc/kallsyms). Throws modrace::Error when unreadable.
  static Kallsyms read(const std::string& path = "/proc/kallsyms");
  // Only the symbols of one module (the lines ending in "[name]").
  static std::vector<KernelSymbol> read_module(const std::string& module,
                                               const std::string& path = "/proc/kallsyms");

  const std::vector<KernelSymbol>& symbols() const { return syms_; }
  // True when every address is 0 (kptr_restrict in force).
  bool addresses_hidden() const { return hidden_; }
  // Those of `names` that are vmlinux text symbols (a kprobe can be tried on them): one pass.
  std::unordered_set<std::string> text_of(const std::unordered_set<std::string>& names) const;
  std::optional<uint64_t> address(std::string_view name, std::string_view module = {}) const;
  // True when addr falls in BPF programs/trampolines ("[bpf]" symbols): stack frames of our
  // own machinery.
  bool is_bpf(uint64_t addr) const;
  // Reads `path` again for its module lines only ("[name]", "[bpf]": modules, programs and
  // trampolines loaded or gone since); vmlinux's symbols, most of the file, are kept as read.
  // Throws modrace::Error when unreadable.
  void refresh_modules(const std::string& path = "/proc/kallsyms");

 private:
  std::vector<KernelSymbol> syms_;
  void index();  // bpf_ranges_ from syms_
  // [start, end) of the text that [bpf] symbols own, sorted: is_bpf runs for up to 8 frames of
  // every event recorded, a search over a few dozen ranges instead of every symbol.
  std::vector<std::pair<uint64_t, uint64_t>> bpf_ranges_;
  bool hidden_ = false;
};

// A module loaded before recording started, as a module_load event (preexisting = true).
// Text range: /sys/module/NAME/sections/.text and the size column of /proc/modules (an upper
// bound: it is the module's whole core size).
std::vector<ModuleLoad> preexisting_modules(const Kallsyms& ksyms);

}  // namespace modrace::loader
