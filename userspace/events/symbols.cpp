// SPDX-License-Identifier: GPL-2.0-only
#include "events/symbols.h"

#include <algorithm>

#include <fmt/format.h>

#include "events/trace_meta.h"

namespace modrace {

bool ModuleSymbolsLoad::contains(uint64_t addr) const { return text_range(addr) != nullptr; }

const ModuleSymbolsLoad::Range* ModuleSymbolsLoad::text_range(uint64_t addr) const {
  for (const auto& r : text)
    if (addr >= r.start && addr - r.start < r.size) return &r;
  return nullptr;
}

namespace {
// Several kallsyms names can share one address: lockdep's zero-sized `__key.N` class keys (on
// kernels without lockdep) sit at the address of the lock that follows them, e.g. `__key.0` and
// `file_systems_lock`. The name a developer recognises must win, so it sorts last among equals
// (lookups take the last symbol at or below an address).
int name_rank(const KernelSymbol& s) {
  const std::string& n = s.name;
  if (n.starts_with("__key.") || n.starts_with("__UNIQUE_ID") || n.starts_with("__already_done") ||
      n.starts_with("__func__.") || n.starts_with("__warned.") || n.starts_with("_entry.") ||
      n.starts_with("__print_once"))
    return 0;
  if (n.starts_with("__")) return 1;
  return 2;
}

void sort_symbols(std::vector<KernelSymbol>& v) {
  std::stable_sort(v.begin(), v.end(), [](const KernelSymbol& a, const KernelSymbol& b) {
    if (a.addr != b.addr) return a.addr < b.addr;
    return name_rank(a) < name_rank(b);
  });
}

// The last symbol at or below addr, nullptr when none is.
const KernelSymbol* at_or_below(const std::vector<KernelSymbol>& v, uint64_t addr) {
  auto it = std::upper_bound(v.begin(), v.end(), addr,
                             [](uint64_t a, const KernelSymbol& s) { return a < s.addr; });
  return it == v.begin() ? nullptr : &*std::prev(it);
}

// Whether addr can lie inside sym's object: within its size when known; otherwise (kallsyms gives
// no sizes) within `unknown_bound` bytes of its start.
bool inside(const KernelSymbol& sym, uint64_t addr, uint64_t unknown_bound) {
  uint64_t off = addr - sym.addr;
  return sym.size ? off < sym.size : off <= unknown_bound;
}
}  // namespace

void SymbolTable::add(KernelSymbol sym) {
  if (sym.type == kLockClassSymbolType) {
    lock_classes_[sym.addr] = std::move(sym.name);
    return;
  }
  if (sym.module.empty()) {
    kernel_.push_back(std::move(sym));
    kernel_sorted_ = false;
    return;
  }
  auto it = open_.find(sym.module);
  size_t i = it != open_.end() ? it->second : open_load(sym.module);
  loads_[i].syms.push_back(std::move(sym));
  loads_[i].sorted = false;
  load_info_[i].symbols++;
}

size_t SymbolTable::open_load(const std::string& name) {
  ModuleSymbolsLoad info;
  info.name = name;
  info.born = ++epoch_;
  load_info_.push_back(std::move(info));
  loads_.emplace_back();
  size_t i = loads_.size() - 1;
  open_[name] = i;
  return i;
}

void SymbolTable::close_load(size_t i) {
  load_info_[i].died = ++epoch_;
  open_.erase(load_info_[i].name);
}

SymbolEpoch SymbolTable::note(const Event& ev) {
  if (const auto* m = std::get_if<ModuleLoad>(&ev.data)) {
    auto it = open_.find(m->name);
    size_t i;
    if (it != open_.end() && load_info_[it->second].module == 0) {
      i = it->second;  // its symbols (the start-up snapshot) or legacy ranges came first
    } else {
      if (it != open_.end()) close_load(it->second);  // its module_free was never seen
      i = open_load(m->name);
    }
    auto& info = load_info_[i];
    info.module = m->module;
    info.load_ts = ev.ts_ns;
    info.preexisting = m->preexisting;
    auto add_range = [&](uint64_t start, uint64_t size) {
      if (!start || !size) return;
      for (const auto& r : info.text)
        if (r.start == start && r.size == size) return;
      info.text.push_back({start, size});
    };
    add_range(m->core_text_start, m->core_text_size);
    add_range(m->init_text_start, m->init_text_size);
    return epoch_;
  }
  if (const auto* f = std::get_if<ModuleFree>(&ev.data)) {
    for (const auto& [name, i] : open_)
      if (load_info_[i].module == f->module) {
        SymbolEpoch named_at = epoch_;
        load_info_[i].unload_ts = ev.ts_ns;
        close_load(i);
        return named_at;
      }
  }
  return epoch_;
}

void SymbolTable::add_module_range(const std::string& module, uint64_t start, uint64_t size) {
  auto it = open_.find(module);
  size_t i = it != open_.end() ? it->second : open_load(module);
  auto& text = load_info_[i].text;
  for (const auto& r : text)
    if (r.start == start && r.size == size) return;
  text.push_back({start, size});
}

void SymbolTable::finalize() {
  if (!kernel_sorted_) sort_symbols(kernel_), kernel_sorted_ = true;
  for (auto& l : loads_)
    if (!l.sorted) sort_symbols(l.syms), l.sorted = true;
}

SymbolView SymbolTable::at(SymbolEpoch e) const { return SymbolView(*this, e); }
SymbolView SymbolTable::now() const { return SymbolView(*this, epoch_); }

size_t SymbolTable::size() const {
  size_t n = kernel_.size();
  for (const auto& l : loads_) n += l.syms.size();
  return n;
}

std::optional<uint64_t> SymbolTable::lookup(std::string_view name) const {
  for (const auto& s : kernel_)
    if (s.name == name) return s.addr;
  return std::nullopt;
}

std::optional<std::string> SymbolTable::lock_class(uint64_t key) const {
  auto it = lock_classes_.find(key);
  if (it == lock_classes_.end()) return std::nullopt;
  return it->second;
}

long SymbolView::text_owner(uint64_t addr) const {
  // The latest live load wins: one loaded where another was, whose unload was not seen.
  for (size_t i = t_->load_info_.size(); i-- > 0;)
    if (t_->visible(i, e_) && t_->load_info_[i].contains(addr)) return static_cast<long>(i);
  return -1;
}

const ModuleSymbolsLoad* SymbolView::load_at(uint64_t addr) const {
  long i = text_owner(addr);
  return i < 0 ? nullptr : &t_->load_info_[static_cast<size_t>(i)];
}

ResolvedAddress SymbolView::resolve(uint64_t addr) const {
  // Functions are at most this far from their start when their size is unknown (kallsyms).
  constexpr uint64_t kUnknownSizeBound = 1u << 20;
  if (long owner = text_owner(addr); owner >= 0) {
    // Inside a module's text, only that load's own symbols may name the address: without them
    // the nearest symbol below is another load's, or a BPF trampoline's, which would be wrong.
    const auto& info = t_->load_info_[static_cast<size_t>(owner)];
    const KernelSymbol* sym = at_or_below(t_->loads_[static_cast<size_t>(owner)].syms, addr);
    if (!sym || sym->addr < info.text_range(addr)->start || !inside(*sym, addr, kUnknownSizeBound))
      return {};
    return {sym, addr - sym->addr};
  }
  const KernelSymbol* best = at_or_below(t_->kernel_, addr);
  long best_load = -1;
  for (size_t i = 0; i < t_->loads_.size(); i++) {
    if (!t_->visible(i, e_)) continue;
    const KernelSymbol* s = at_or_below(t_->loads_[i].syms, addr);
    if (s && (!best || s->addr > best->addr)) best = s, best_load = static_cast<long>(i);
  }
  if (!best || !inside(*best, addr, kUnknownSizeBound)) return {};
  // An address past the end of a module's text does not belong to its last function.
  if (best_load >= 0) {
    const auto& info = t_->load_info_[static_cast<size_t>(best_load)];
    if (const auto* r = info.text_range(best->addr); r && !info.text_range(addr)) return {};
  }
  return {best, addr - best->addr};
}

std::string SymbolView::format(uint64_t addr) const {
  auto r = resolve(addr);
  if (!r.symbol) {
    // Named relative to the module's text, which is stable across boots (KASLR) and loads.
    if (const ModuleSymbolsLoad* m = load_at(addr)) {
      const auto* range = m->text_range(addr);
      return fmt::format("{}+0x{:x} [{}]", range == &m->text.front() ? ".text" : ".init.text",
                         addr - range->start, m->name);
    }
    return fmt::format("0x{:x}", addr);
  }
  std::string s = fmt::format("{}+0x{:x}", r.symbol->name, r.offset);
  if (!r.symbol->module.empty()) s += fmt::format(" [{}]", r.symbol->module);
  return s;
}

const KernelSymbol* SymbolView::data_symbol(uint64_t addr) const {
  auto r = resolve(addr);
  // Without a size, a lock more than a page past a symbol is not taken to be inside it.
  if (!r.symbol || !inside(*r.symbol, addr, 4096)) return nullptr;
  char t = static_cast<char>(r.symbol->type | 0x20);  // lower-case
  if (t != 'd' && t != 'b' && t != 'r') return nullptr;
  return r.symbol;
}

std::string SymbolView::lock_name(uint64_t addr, uint64_t class_key) const {
  if (class_key)
    if (auto cls = t_->lock_class(class_key)) return *cls;
  if (auto n = name_data(addr)) return *n;
  return fmt::format("0x{:x}", addr);
}

std::optional<std::string> SymbolView::name_data(uint64_t addr) const {
  const KernelSymbol* sym = data_symbol(addr);
  if (!sym) return std::nullopt;
  if (addr == sym->addr) return sym->name;
  return fmt::format("{}+0x{:x}", sym->name, addr - sym->addr);
}

std::vector<std::string> missing_symbols(const SymbolTable& syms, const TraceMeta& meta) {
  bool walked = std::find(meta.features.begin(), meta.features.end(), "module_symbols=bpf") !=
                meta.features.end();
  std::vector<std::string> out;
  for (const auto& l : syms.loads()) {
    if (l.symbols || !l.module) continue;
    std::string when =
        l.preexisting ? "loaded before recording started"
                      : fmt::format("loaded at +{:.3f} s", (l.load_ts - meta.start_ts_ns) / 1e9);
    if (l.unload_ts)
      when += fmt::format(", unloaded {:.3f} s later", (l.unload_ts - l.load_ts) / 1e9);
    std::string why;
    if (l.preexisting)
      why = "not in the /proc/kallsyms snapshot taken at start (kptr_restrict, or no privilege)";
    else if (walked && meta.drops.lost_events())
      why = fmt::format(
          "its symbol records were not in the trace; the ring buffer lost {} records, which "
          "can include them",
          meta.drops.lost_events());
    else if (walked)
      why = "the kernel's symbol walk at module_load found none (a module without symbols)";
    else if (std::find(meta.features.begin(), meta.features.end(), "module_symbols=kallsyms") !=
             meta.features.end())
      why =
          "read from /proc/kallsyms after the load (no in-kernel walk on this kernel); the "
          "module was gone by then";
    else
      why = "the trace has no symbol records for this load";
    const auto* core = l.text.empty() ? nullptr : &l.text.front();
    out.push_back(fmt::format("{} (text at 0x{:x}, {}): {}; its code is named .text+0x...", l.name,
                              core ? core->start : 0, when, why));
  }
  return out;
}

}  // namespace modrace
