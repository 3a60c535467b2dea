// SPDX-License-Identifier: GPL-2.0-only
//
// Naming kernel addresses for humans: `func+0xoff [module]` from the trace's symbol table, plus
// ` (file.c:123)` when a .ko with DWARF was given (--ko / --modules-dir), the way the kernel's
// scripts/decode_stacktrace.sh does it: the symbol is looked up by name in the .ko and the
// offset added, so the module's load address does not matter.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/symbols.h"

namespace modrace {

// file:line for symbol+offset inside .ko files, via elfutils libdw. Files are opened lazily, on
// the first lookup in their module. Without libdw at build time every lookup returns nullopt.
class DwarfSymbolizer {
 public:
  explicit DwarfSymbolizer(std::vector<std::string> ko_files);
  ~DwarfSymbolizer();
  DwarfSymbolizer(const DwarfSymbolizer&) = delete;
  DwarfSymbolizer& operator=(const DwarfSymbolizer&) = delete;

  // `module` as the kernel names it (dashes and underscores are equivalent). `offset` is from
  // the start of `symbol`; return addresses should be passed as they are (the lookup uses the
  // byte before them, which belongs to the call).
  std::optional<std::string> source_line(std::string_view module, std::string_view symbol,
                                         uint64_t offset, bool is_return_address = true) const;
  bool has_module(std::string_view module) const;

  struct Module;  // one opened .ko; opaque outside symbolize.cpp

 private:
  std::map<std::string, std::string> paths_;                     // module name -> .ko path
  mutable std::map<std::string, std::unique_ptr<Module>> open_;  // nullptr: failed to open
};

// The frame formatter the report renderers and dump use. Addresses are named by the symbols of
// the moment they were seen (`syms`, a SymbolTable at an epoch).
class FrameFormatter {
 public:
  explicit FrameFormatter(std::vector<std::string> ko_files);
  ~FrameFormatter();
  // "func+0xoff [module] (file.c:123)"; the part in parentheses only when DWARF is known.
  std::string format(SymbolView syms, uint64_t addr) const;
  // "file.c:123" for addresses inside a module whose .ko was given.
  std::optional<std::string> source_line(SymbolView syms, uint64_t addr) const;

 private:
  std::unique_ptr<DwarfSymbolizer> dwarf_;
};

// The .ko files (also .ko.xz, .ko.zst, .ko.gz) under `dir`, recursively. Throws modrace::Error
// when `dir` cannot be read.
std::vector<std::string> find_ko_files(const std::string& dir);

// The --ko files (checked to exist) followed by those under --modules-dir (when not empty).
std::vector<std::string> collect_ko_files(const std::vector<std::string>& ko_files,
                                          const std::string& modules_dir);

// Module name for a .ko path: basename without the .ko[.xz|.zst|.gz] suffix, '-' as '_'.
std::string module_name_from_path(std::string_view path);

}  // namespace modrace
