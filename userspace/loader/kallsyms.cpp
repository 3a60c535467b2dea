// SPDX-License-Identifier: GPL-2.0-only
#include "loader/kallsyms.h"

#include <fcntl.h>
#include <unistd.h>

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

// The whole file: /proc/kallsyms is generated as it is read, in page-sized pieces.
std::string slurp(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": " + std::strerror(errno));
  std::string buf;
  size_t used = 0;
  for (;;) {
    if (buf.size() - used < (1 << 16)) buf.resize(std::max<size_t>(buf.size() * 2, 1 << 20));
    ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  buf.resize(used);
  return buf;
}

// Calls fn(line) for each line of buf, the newline replaced by a terminator.
template <typename Fn>
void each_line(std::string& buf, Fn&& fn) {
  for (size_t at = 0; at < buf.size();) {
    size_t nl = buf.find('\n', at);
    if (nl == std::string::npos) nl = buf.size();
    if (nl < buf.size()) buf[nl] = '\0';
    fn(std::string_view(buf.data() + at, nl - at));
    at = nl + 1;
  }
}

}  // namespace

Kallsyms Kallsyms::read(const std::string& path) {
  std::string buf = slurp(path);
  Kallsyms k;
  k.syms_.reserve(buf.size() / 40);
  KernelSymbol sym;
  bool any_nonzero = false;
  each_line(buf, [&](std::string_view line) {
    if (!parse_line(line.data(), sym)) return;
    if (sym.addr) any_nonzero = true;
    k.syms_.push_back(sym);
  });
  k.hidden_ = !any_nonzero;
  k.index();
  return k;
}

void Kallsyms::index() {
  std::vector<std::pair<uint64_t, bool>> by_addr;  // address, is [bpf]
  by_addr.reserve(syms_.size());
  for (const auto& s : syms_) by_addr.emplace_back(s.addr, s.module == "bpf");
  std::sort(by_addr.begin(), by_addr.end());
  // An address belongs to the symbol at or below it; at an address several symbols share, a
  // [bpf] one wins. Runs of such [bpf] regions become one range each.
  bpf_ranges_.clear();
  bool open = false;
  for (size_t i = 0; i < by_addr.size();) {
    uint64_t addr = by_addr[i].first;
    bool bpf = false;
    for (; i < by_addr.size() && by_addr[i].first == addr; i++) bpf = bpf || by_addr[i].second;
    if (bpf && !open) bpf_ranges_.emplace_back(addr, UINT64_MAX);
    if (!bpf && open) bpf_ranges_.back().second = addr;
    open = bpf;
  }
}

std::unordered_set<std::string> Kallsyms::text_of(
    const std::unordered_set<std::string>& names) const {
  std::unordered_set<std::string> found;
  for (const auto& s : syms_)
    if (s.module.empty() && is_text(s.type) && names.count(s.name)) found.insert(s.name);
  return found;
}

void Kallsyms::refresh_modules(const std::string& path) {
  std::string buf = slurp(path);
  std::erase_if(syms_, [](const KernelSymbol& s) { return !s.module.empty(); });
  KernelSymbol sym;
  each_line(buf, [&](std::string_view line) {
    if (line.ends_with(']') && parse_line(line.data(), sym)) syms_.push_back(sym);
  });
  index();
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
  // Outside all of them (core kernel text lies below the module area BPF code shares): no search.
  if (bpf_ranges_.empty() || addr < bpf_ranges_.front().first || addr >= bpf_ranges_.back().second)
    return false;
  auto it = std::upper_bound(bpf_ranges_.begin(), bpf_ranges_.end(), addr,
                             [](uint64_t a, const auto& r) { return a < r.first; });
  return it != bpf_ranges_.begin() && addr < std::prev(it)->second;
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
