// SPDX-License-Identifier: GPL-2.0-only
#include "loader/kallsyms.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "events/error.h"

namespace modrace::loader {

namespace {

// Parses one kallsyms line "ffffffff81000000 T _stext [mod]". False on a malformed line.
bool parse_line(const char* line, KernelSymbol& out) {
  char* end = nullptr;
  out.addr = std::strtoull(line, &end, 16);
  if (end == line || *end != ' ') return false;
  const char* p = end + 1;
  if (!*p || p[1] != ' ') return false;
  out.type = *p;
  p += 2;
  const char* name_end = p;
  while (*name_end && *name_end != '\t' && *name_end != ' ' && *name_end != '\n') name_end++;
  out.name.assign(p, name_end);
  out.module.clear();
  const char* lb = std::strchr(name_end, '[');
  if (lb) {
    const char* rb = std::strchr(lb, ']');
    if (rb) out.module.assign(lb + 1, rb);
  }
  return !out.name.empty();
}

bool is_text(char t) { return t == 't' || t == 'T'; }

}  // namespace

Kallsyms Kallsyms::read(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) throw Error(path + ": " + std::strerror(errno));
  Kallsyms k;
  char line[512];
  KernelSymbol sym;
  bool any_nonzero = false;
  while (std::fgets(line, sizeof(line), f)) {
    if (!parse_line(line, sym)) continue;
    if (sym.addr) any_nonzero = true;
    if (sym.module.empty() && is_text(sym.type)) k.text_.insert(sym.name);
    k.by_addr_.emplace_back(sym.addr, sym.module == "bpf");
    k.syms_.push_back(sym);
  }
  std::fclose(f);
  k.hidden_ = !any_nonzero;
  std::sort(k.by_addr_.begin(), k.by_addr_.end());
  return k;
}

std::vector<KernelSymbol> Kallsyms::read_module(const std::string& module,
                                                const std::string& path) {
  std::vector<KernelSymbol> out;
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return out;
  const std::string tag = "[" + module + "]";
  char line[512];
  KernelSymbol sym;
  while (std::fgets(line, sizeof(line), f)) {
    if (!std::strstr(line, tag.c_str())) continue;  // cheap pre-filter
    if (parse_line(line, sym) && sym.module == module) out.push_back(sym);
  }
  std::fclose(f);
  return out;
}

std::optional<uint64_t> Kallsyms::address(std::string_view name, std::string_view module) const {
  for (const auto& s : syms_)
    if (s.name == name && s.module == module) return s.addr;
  return std::nullopt;
}

bool Kallsyms::is_bpf(uint64_t addr) const {
  auto it = std::upper_bound(by_addr_.begin(), by_addr_.end(), std::make_pair(addr, true));
  if (it == by_addr_.begin()) return false;
  return std::prev(it)->second;
}

std::vector<ModuleLoad> preexisting_modules(const Kallsyms& ksyms) {
  std::vector<ModuleLoad> out;
  std::ifstream in("/proc/modules");
  std::string line;
  while (std::getline(in, line)) {
    // "name size refcnt deps state addr [taint]"
    std::istringstream ls(line);
    std::string name, size, refs, deps, state, addr;
    if (!(ls >> name >> size >> refs >> deps >> state >> addr)) continue;
    ModuleLoad m;
    m.name = name;
    m.preexisting = true;
    m.module = ksyms.address("__this_module", name).value_or(0);
    m.core_text_size = std::strtoull(size.c_str(), nullptr, 10);
    std::ifstream text("/sys/module/" + name + "/sections/.text");
    std::string start;
    if (text >> start) m.core_text_start = std::strtoull(start.c_str(), nullptr, 16);
    if (!m.core_text_start) m.core_text_start = std::strtoull(addr.c_str(), nullptr, 16);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace modrace::loader
