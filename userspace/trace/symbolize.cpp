// SPDX-License-Identifier: GPL-2.0-only
#include "trace/symbolize.h"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include <fmt/format.h>

#include "events/error.h"

#ifdef MODRACE_HAVE_LIBDW
#include <elfutils/libdwfl.h>
#include <gelf.h>
#endif

namespace modrace {

namespace {
std::string normalize(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

bool is_ko(std::string_view p) {
  for (std::string_view suffix : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"})
    if (p.size() > suffix.size() && p.substr(p.size() - suffix.size()) == suffix) return true;
  return false;
}
}  // namespace

std::string module_name_from_path(std::string_view path) {
  auto slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto dot = base.find(".ko");
  if (dot != std::string_view::npos) base = base.substr(0, dot);
  return normalize(base);
}

std::vector<std::string> find_ko_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (st.type() == fs::file_type::not_found)
    throw Error(fmt::format("--modules-dir {}: no such directory", dir));
  if (ec) throw Error(fmt::format("--modules-dir {}: {}", dir, ec.message()));
  if (st.type() != fs::file_type::directory)
    throw Error(fmt::format("--modules-dir {}: not a directory", dir));
  std::vector<std::string> out;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && is_ko(it->path().native())) out.push_back(it->path().string());
  }
  if (ec) throw Error(fmt::format("{}: {}", dir, ec.message()));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> collect_ko_files(const std::vector<std::string>& ko_files,
                                          const std::string& modules_dir) {
  std::vector<std::string> out;
  namespace fs = std::filesystem;
  for (const auto& k : ko_files) {
    // Say what is wrong with the path, not just that it is wrong.
    std::error_code ec;
    auto st = fs::status(k, ec);
    if (ec && st.type() != fs::file_type::not_found)
      throw Error(fmt::format("--ko {}: {}", k, ec.message()));
    if (st.type() == fs::file_type::not_found) throw Error(fmt::format("--ko {}: no such file", k));
    if (st.type() == fs::file_type::directory)
      throw Error(fmt::format(
          "--ko {}: is a directory (--ko takes a .ko file; --modules-dir {} searches one)", k, k));
    if (st.type() != fs::file_type::regular)
      throw Error(fmt::format("--ko {}: not a regular file", k));
    out.push_back(k);
  }
  if (!modules_dir.empty())
    for (auto& k : find_ko_files(modules_dir)) out.push_back(std::move(k));
  return out;
}

#ifdef MODRACE_HAVE_LIBDW
struct DwarfSymbolizer::Module {
  Dwfl* dwfl = nullptr;
  Dwfl_Module* mod = nullptr;
  std::unordered_map<std::string, uint64_t> funcs;  // name -> address in dwfl's layout
  ~Module() {
    if (dwfl) dwfl_end(dwfl);
  }
};

namespace {
std::unique_ptr<DwarfSymbolizer::Module> open_module(const std::string& path);
}
#else
struct DwarfSymbolizer::Module {};
#endif

DwarfSymbolizer::DwarfSymbolizer(std::vector<std::string> ko_files) {
  // The first file given for a module wins (--ko before --modules-dir).
  for (auto& p : ko_files) paths_.emplace(module_name_from_path(p), std::move(p));
}

DwarfSymbolizer::~DwarfSymbolizer() = default;

bool DwarfSymbolizer::has_module(std::string_view module) const {
  return paths_.count(normalize(module)) != 0;
}

#ifdef MODRACE_HAVE_LIBDW
namespace {
const Dwfl_Callbacks kOfflineCallbacks = {
    .find_elf = nullptr,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

std::unique_ptr<DwarfSymbolizer::Module> open_module(const std::string& path) {
  auto m = std::make_unique<DwarfSymbolizer::Module>();
  m->dwfl = dwfl_begin(&kOfflineCallbacks);
  if (!m->dwfl) return nullptr;
  // Offline reporting lays out the relocatable .ko's sections and applies its relocations, so
  // DWARF line tables and the symbol table agree on addresses.
  m->mod = dwfl_report_offline(m->dwfl, module_name_from_path(path).c_str(), path.c_str(), -1);
  if (!m->mod || dwfl_report_end(m->dwfl, nullptr, nullptr) != 0) return nullptr;
  int n = dwfl_module_getsymtab(m->mod);
  for (int i = 0; i < n; i++) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    const char* name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, nullptr, nullptr, nullptr);
    if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) continue;
    m->funcs.emplace(name, addr);
  }
  return m;
}
}  // namespace
#endif

std::optional<std::string> DwarfSymbolizer::source_line(std::string_view module,
                                                        std::string_view symbol, uint64_t offset,
                                                        bool is_return_address) const {
#ifdef MODRACE_HAVE_LIBDW
  std::string key = normalize(module);
  auto path = paths_.find(key);
  if (path == paths_.end()) return std::nullopt;
  auto it = open_.find(key);
  if (it == open_.end()) it = open_.emplace(key, open_module(path->second)).first;
  const Module* m = it->second.get();
  if (!m) return std::nullopt;
  auto f = m->funcs.find(std::string(symbol));
  if (f == m->funcs.end()) return std::nullopt;
  uint64_t addr = f->second + offset;
  if (is_return_address && offset > 0) addr -= 1;
  Dwfl_Line* line = dwfl_module_getsrc(m->mod, addr);
  if (!line) return std::nullopt;
  int lineno = 0;
  const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
  if (!file) return std::nullopt;
  std::string_view fv(file);
  // Absolute paths carry the build machine's directories; the file name is what helps.
  if (!fv.empty() && fv.front() == '/') fv = fv.substr(fv.rfind('/') + 1);
  return fmt::format("{}:{}", fv, lineno);
#else
  (void)module, (void)symbol, (void)offset, (void)is_return_address;
  return std::nullopt;
#endif
}

FrameFormatter::FrameFormatter(std::vector<std::string> ko_files) {
  if (!ko_files.empty()) dwarf_ = std::make_unique<DwarfSymbolizer>(std::move(ko_files));
}

FrameFormatter::~FrameFormatter() = default;

std::optional<std::string> FrameFormatter::source_line(SymbolView syms, uint64_t addr) const {
  if (!dwarf_) return std::nullopt;
  auto r = syms.resolve(addr);
  if (!r.symbol || r.symbol->module.empty()) return std::nullopt;
  return dwarf_->source_line(r.symbol->module, r.symbol->name, r.offset);
}

std::string FrameFormatter::format(SymbolView syms, uint64_t addr) const {
  std::string s = syms.format(addr);
  if (auto line = source_line(syms, addr)) s += fmt::format(" ({})", *line);
  return s;
}

}  // namespace modrace
