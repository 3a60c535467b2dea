// SPDX-License-Identifier: GPL-2.0-only
#include "events/symbols.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "events/trace_meta.h"

namespace modrace {

const ModuleImage::Range* ModuleImage::text_range(uint64_t addr) const {
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

// Whether addr can lie inside sym's object: within its size when known; otherwise (kallsyms gives
// no sizes) within `unknown_bound` bytes of its start.
bool inside(const KernelSymbol& sym, uint64_t addr, uint64_t unknown_bound) {
  uint64_t off = addr - sym.addr;
  return sym.size ? off < sym.size : off <= unknown_bound;
}
}  // namespace

bool SymbolTable::ByAddress::operator()(const Ranked& a, const Ranked& b) const {
  return std::tie(a.sym.addr, a.rank, a.sym.name, a.sym.type, a.sym.module, a.sym.size, a.image) <
         std::tie(b.sym.addr, b.rank, b.sym.name, b.sym.type, b.sym.module, b.sym.size, b.image);
}

std::vector<KernelSymbol> SymbolTable::copy(const SymbolSet& s) {
  std::vector<KernelSymbol> v;
  v.reserve(s.size());
  for (const auto& r : s) v.push_back(r.sym);
  return v;
}

const SymbolTable::Ranked* SymbolTable::at_or_below(const SymbolSet& s, uint64_t addr) {
  auto it = s.upper_bound(addr);
  return it == s.begin() ? nullptr : &*std::prev(it);
}

void SymbolTable::add(KernelSymbol sym) {
  close_pending();
  if (sym.type == kLockClassSymbolType) {
    lock_classes_[sym.addr] = std::move(sym.name);
    return;
  }
  int rank = name_rank(sym);
  if (sym.module.empty()) {
    kernel_.insert({std::move(sym), rank, 0});
    return;
  }
  auto it = open_.find(sym.module);
  size_t i = it != open_.end() ? it->second : open_load(sym.module);
  Image& img = images_[loads_[i].image];
  Ranked r{std::move(sym), rank, loads_[i].image};
  if (!img.syms.insert(r).second) return;  // given twice
  live_module_syms_.insert(std::move(r));
  img.info.symbols++;
}

size_t SymbolTable::open_load(const std::string& name) {
  ModuleSymbolsLoad load;
  load.born = ++epoch_;
  if (free_images_.empty()) {
    load.image = static_cast<uint32_t>(images_.size());
    images_.emplace_back();
  } else {
    load.image = free_images_.back();
    free_images_.pop_back();
  }
  images_[load.image].info.name = name;
  loads_.push_back(load);
  size_t i = loads_.size() - 1;
  open_[name] = i;
  return i;
}

void SymbolTable::close_load(size_t i) {
  auto& load = loads_[i];
  const Image& img = images_[load.image];
  load.died = ++epoch_;
  open_.erase(img.info.name);
  if (auto it = open_by_module_.find(load.module); it != open_by_module_.end() && it->second == i)
    open_by_module_.erase(it);
  for (const auto& r : img.syms) live_module_syms_.erase(r);
  for (const auto& r : img.info.text)
    if (auto it = live_text_.find(r.start); it != live_text_.end() && it->second.load == i)
      live_text_.erase(it);
  share_with_previous(i);
}

void SymbolTable::share_with_previous(size_t i) {
  auto [prev, first] = last_closed_.try_emplace(image(loads_[i]).name, i);
  if (first) return;
  size_t j = std::exchange(prev->second, i);
  // An open load's image is its own: i's is not j's.
  const Image &mine = images_[loads_[i].image], &theirs = images_[loads_[j].image];
  auto same_range = [](const ModuleImage::Range& a, const ModuleImage::Range& b) {
    return a.start == b.start && a.size == b.size;
  };
  auto same_symbol = [](const Ranked& a, const Ranked& b) { return a.sym == b.sym; };
  if (!std::equal(mine.info.text.begin(), mine.info.text.end(), theirs.info.text.begin(),
                  theirs.info.text.end(), same_range) ||
      !std::equal(mine.syms.begin(), mine.syms.end(), theirs.syms.begin(), theirs.syms.end(),
                  same_symbol))
    return;
  free_images_.push_back(loads_[i].image);
  images_[loads_[i].image] = {};
  loads_[i].image = loads_[j].image;
}

void SymbolTable::close_pending() {
  if (pending_close_) close_load(*pending_close_);
  pending_close_.reset();
}

void SymbolTable::add_text(size_t i, uint64_t start, uint64_t size) {
  auto& text = images_[loads_[i].image].info.text;
  for (const auto& r : text)
    if (r.start == start && r.size == size) return;
  text.push_back({start, size});
  if (!size || loads_[i].died != UINT32_MAX) return;
  uint64_t end = text.back().end();
  auto it = live_text_.upper_bound(start);
  if (it != live_text_.begin() && std::prev(it)->second.end > start) --it;
  while (it != live_text_.end() && it->first < end) {
    covered_.emplace(std::pair(it->second.load, it->first), epoch_);
    it = live_text_.erase(it);
  }
  live_text_.emplace(start, LiveText{end, i});
}

SymbolEpoch SymbolTable::note(const Event& ev) {
  close_pending();
  if (const auto* m = std::get_if<ModuleLoad>(&ev.data)) {
    auto it = open_.find(m->name);
    size_t i;
    if (it != open_.end() && loads_[it->second].module == 0) {
      i = it->second;  // its symbols (the start-up snapshot) or legacy ranges came first
    } else {
      if (it != open_.end()) close_load(it->second);  // its module_free was never seen
      i = open_load(m->name);
    }
    auto& load = loads_[i];
    load.module = m->module;
    load.load_ts = ev.ts_ns;
    load.preexisting = m->preexisting;
    open_by_module_[m->module] = i;
    if (m->core_text_start) add_text(i, m->core_text_start, m->core_text_size);
    if (m->init_text_start) add_text(i, m->init_text_start, m->init_text_size);
    return epoch_;
  }
  if (const auto* f = std::get_if<ModuleFree>(&ev.data)) {
    // Closed after this event: the free is still named with the module's symbols.
    if (auto it = open_by_module_.find(f->module); it != open_by_module_.end()) {
      loads_[it->second].unload_ts = ev.ts_ns;
      pending_close_ = it->second;
    }
  }
  return epoch_;
}

bool SymbolTable::add_module_range(const std::string& module, uint64_t start, uint64_t size) {
  close_pending();
  auto it = open_.find(module);
  size_t i = it != open_.end() ? it->second : open_load(module);
  if (image(loads_[i]).text.size() >= kMaxLegacyRanges) return false;
  add_text(i, start, size);
  return true;
}

void SymbolTable::finalize() { close_pending(); }

const SymbolTable::Past& SymbolTable::past() const {
  if (past_epoch_ == epoch_) return past_;
  Past& p = past_;
  p.leaves = 1;
  while (p.leaves <= epoch_) p.leaves <<= 1;
  // Calls add(n) for the canonical nodes of the epochs [from, to), cut at the present.
  auto span = [&](SymbolEpoch from, SymbolEpoch to, auto&& add) {
    size_t l = from + p.leaves, r = std::min<size_t>(to, size_t{epoch_} + 1) + p.leaves;
    for (; l < r; l >>= 1, r >>= 1) {
      if (l & 1) add(l++);
      if (r & 1) add(--r);
    }
  };
  // The symbols that can name an address outside every text live at an epoch (inside one, its
  // load's own symbols do): those outside their module's text, and the last one of each of its
  // text ranges, which keeps an address past that range from being named by a symbol below it.
  std::vector<std::vector<const Ranked*>> outside(images_.size());
  for (size_t k = 0; k < images_.size(); k++) {
    const auto& img = images_[k];
    for (auto it = img.syms.begin(); it != img.syms.end(); ++it) {
      const auto* range = img.info.text_range(it->sym.addr);
      auto next = std::next(it);
      if (!range || next == img.syms.end() || img.info.text_range(next->sym.addr) != range)
        outside[k].push_back(&*it);
    }
  }
  // Each load's entries go to its nodes: counted first (at[n + 1] += count), then placed at
  // at[n]++, which leaves at[n] where node n + 1 starts: shifted back after.
  auto each_entry = [&](auto&& text_entry, auto&& syms_entry) {
    for (size_t i = 0; i < loads_.size(); i++) {
      const auto& load = loads_[i];
      const Image& img = images_[load.image];
      span(load.born, load.died, [&](size_t n) { syms_entry(n, outside[load.image]); });
      for (uint32_t k = 0; k < img.info.text.size(); k++) {
        const auto& r = img.info.text[k];
        auto covered = covered_.find({i, r.start});
        SymbolEpoch end = covered == covered_.end() ? load.died : covered->second;
        if (r.size)
          span(load.born, end, [&](size_t n) {
            text_entry(n, PastText{r.start, static_cast<uint32_t>(i), k});
          });
      }
    }
  };
  p.text_at.assign(2 * p.leaves + 1, 0);
  p.syms_at.assign(2 * p.leaves + 1, 0);
  each_entry(
      [&](size_t n, const PastText&) { p.text_at[n + 1]++; },
      [&](size_t n, const std::vector<const Ranked*>& syms) { p.syms_at[n + 1] += syms.size(); });
  std::partial_sum(p.text_at.begin(), p.text_at.end(), p.text_at.begin());
  std::partial_sum(p.syms_at.begin(), p.syms_at.end(), p.syms_at.begin());
  p.text.assign(p.text_at.back(), {});
  p.syms.assign(p.syms_at.back(), nullptr);
  each_entry([&](size_t n, const PastText& t) { p.text[p.text_at[n]++] = t; },
             [&](size_t n, const std::vector<const Ranked*>& syms) {
               for (const Ranked* r : syms) p.syms[p.syms_at[n]++] = r;
             });
  for (auto* at : {&p.text_at, &p.syms_at}) {
    std::copy_backward(at->begin(), at->end() - 1, at->end());
    (*at)[0] = 0;
  }
  for (size_t n = 0; n < 2 * p.leaves; n++) {
    std::sort(p.text.begin() + p.text_at[n], p.text.begin() + p.text_at[n + 1],
              [](const PastText& a, const PastText& b) {
                return std::tie(a.start, a.load) < std::tie(b.start, b.load);
              });
    std::sort(p.syms.begin() + p.syms_at[n], p.syms.begin() + p.syms_at[n + 1],
              [](const Ranked* a, const Ranked* b) { return ByAddress{}(*a, *b); });
  }
  past_epoch_ = epoch_;
  return past_;
}

uint64_t SymbolTable::end_of(const PastText& t) const {
  return images_[loads_[t.load].image].info.text[t.range].end();
}

SymbolView SymbolTable::at(SymbolEpoch e) const { return SymbolView(*this, e); }
SymbolView SymbolTable::now() const { return SymbolView(*this, epoch_); }

size_t SymbolTable::size() const {
  size_t n = kernel_.size();
  for (const auto& img : images_) n += img.syms.size();
  return n;
}

std::optional<uint64_t> SymbolTable::lookup(std::string_view name) const {
  for (const auto& s : kernel_)
    if (s.sym.name == name) return s.sym.addr;
  return std::nullopt;
}

std::optional<std::string> SymbolTable::lock_class(uint64_t key) const {
  auto it = lock_classes_.find(key);
  if (it == lock_classes_.end()) return std::nullopt;
  return it->second;
}

long SymbolView::text_owner(uint64_t addr) const {
  if (e_ >= t_->epoch_) {
    auto it = t_->live_text_.upper_bound(addr);
    if (it == t_->live_text_.begin() || addr >= std::prev(it)->second.end) return -1;
    return static_cast<long>(std::prev(it)->second.load);
  }
  // The latest live load wins: one loaded where another was, whose unload was not seen. Texts
  // live at one time are disjoint but for such a case: the last range starting at or below addr
  // of each node is the one to check.
  const auto& past = t_->past();
  long owner = -1;
  for (size_t n = size_t{e_} + past.leaves; n; n >>= 1) {
    auto text = past.text_of(n);
    auto it =
        std::upper_bound(text.begin(), text.end(), addr,
                         [](uint64_t a, const SymbolTable::PastText& t) { return a < t.start; });
    if (it != text.begin() && addr < t_->end_of(*std::prev(it)))
      owner = std::max(owner, static_cast<long>(std::prev(it)->load));
  }
  return owner;
}

const ModuleSymbolsLoad* SymbolView::load_at(uint64_t addr) const {
  long i = text_owner(addr);
  return i < 0 ? nullptr : &t_->loads_[static_cast<size_t>(i)];
}

ResolvedAddress SymbolView::resolve(uint64_t addr) const {
  // Functions are at most this far from their start when their size is unknown (kallsyms).
  constexpr uint64_t kUnknownSizeBound = 1u << 20;
  if (long owner = text_owner(addr); owner >= 0) {
    // Inside a module's text, only that load's own symbols may name the address: without them
    // the nearest symbol below is another load's, or a BPF trampoline's, which would be wrong.
    const auto& img = t_->images_[t_->loads_[static_cast<size_t>(owner)].image];
    const auto* r = SymbolTable::at_or_below(img.syms, addr);
    if (!r || r->sym.addr < img.info.text_range(addr)->start ||
        !inside(r->sym, addr, kUnknownSizeBound))
      return {};
    return {&r->sym, addr - r->sym.addr};
  }
  const auto* k = SymbolTable::at_or_below(t_->kernel_, addr);
  const KernelSymbol* best = k ? &k->sym : nullptr;
  const ModuleImage* best_image = nullptr;
  auto consider = [&](const SymbolTable::Ranked* s) {
    if (s && (!best || s->sym.addr > best->addr))
      best = &s->sym, best_image = &t_->images_[s->image].info;
  };
  if (e_ >= t_->epoch_) {
    consider(SymbolTable::at_or_below(t_->live_module_syms_, addr));
  } else {
    const auto& past = t_->past();
    for (size_t n = size_t{e_} + past.leaves; n; n >>= 1) {
      auto syms = past.syms_of(n);
      auto it = std::upper_bound(
          syms.begin(), syms.end(), addr,
          [](uint64_t a, const SymbolTable::Ranked* r) { return a < r->sym.addr; });
      if (it != syms.begin()) consider(*std::prev(it));
    }
  }
  if (!best || !inside(*best, addr, kUnknownSizeBound)) return {};
  // An address past the end of a module's text does not belong to its last function.
  if (best_image) {
    const auto* r = best_image->text_range(best->addr);
    if (r && !best_image->text_range(addr)) return {};
  }
  return {best, addr - best->addr};
}

std::string SymbolView::format(uint64_t addr) const {
  auto r = resolve(addr);
  if (!r.symbol) {
    // Named relative to the module's text, which is stable across boots (KASLR) and loads.
    if (const ModuleSymbolsLoad* l = load_at(addr)) {
      const ModuleImage& m = t_->image(*l);
      const auto* range = m.text_range(addr);
      return fmt::format("{}+0x{:x} [{}]", range == &m.text.front() ? ".text" : ".init.text",
                         addr - range->start, m.name);
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

// Whether a lockdep class name mentions the identifier `name` ("misc_mtx", "&bar.lock" for bar).
static bool class_mentions(std::string_view cls, std::string_view name) {
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = cls.find(name); at != std::string_view::npos; at = cls.find(name, at + 1)) {
    size_t end = at + name.size();
    if ((at == 0 || !ident(cls[at - 1])) && (end == cls.size() || !ident(cls[end]))) return true;
  }
  return false;
}

std::string SymbolView::lock_name(uint64_t addr, uint64_t class_key) const {
  if (class_key)
    if (auto cls = t_->lock_class(class_key)) {
      // Lockdep names a lock by its class, as its own reports do. A class that does not name the
      // static object the lock lies in is shared or written through a pointer: 6.1's
      // srcu_module_coming() gives every module's static srcu_struct the class "*(sspp++)".
      // Then the object says which lock it is, and the class is kept for lockdep's reports;
      // only an object of known size (module symbols) can be said to hold the lock.
      if (const KernelSymbol* sym = data_symbol(addr);
          sym && sym->size && !class_mentions(*cls, sym->name))
        return fmt::format("{} (lockdep class {})", *name_data(addr), *cls);
      return *cls;
    }
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
    const ModuleImage& img = syms.image(l);
    if (img.symbols || !l.module) continue;
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
    const auto* core = img.text.empty() ? nullptr : &img.text.front();
    out.push_back(fmt::format("{} (text at 0x{:x}, {}): {}; its code is named .text+0x...",
                              img.name, core ? core->start : 0, when, why));
  }
  return out;
}

}  // namespace modrace
