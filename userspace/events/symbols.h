// SPDX-License-Identifier: GPL-2.0-only
//
// Naming kernel addresses. The trace carries a kallsyms snapshot and the symbols of every module
// load, captured while it was loaded (they vanish at unload); readers rebuild this table from it.
//
// Module symbols belong to one load of their module, not to its name: an address means another
// function once the module is unloaded and another one loaded where it was. The table keeps each
// load apart and counts time in epochs (each load and each unload it hears of is one): a name is
// asked "as of" the epoch of the event that carried the address (SymbolTable::at), and only the
// loads live at that epoch can answer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/event.h"

namespace modrace {

// The type letter of a lockdep lock class's name (kallsyms never uses it): `addr` is the class key
// (struct lock_class_key *), `name` lockdep's name for the class ("&disk->open_mutex"). Stored in
// the trace with the symbols; SymbolTable keeps them apart from the address-ordered ones.
inline constexpr char kLockClassSymbolType = 'L';

struct KernelSymbol {
  uint64_t addr = 0;
  char type = 't';  // nm-style type letter from kallsyms, or kLockClassSymbolType
  std::string name;
  std::string module;  // empty for vmlinux
  uint64_t size = 0;   // bytes of the object (ELF st_size), 0 when unknown (/proc/kallsyms)
  friend bool operator==(const KernelSymbol&, const KernelSymbol&) = default;
};

struct ResolvedAddress {
  const KernelSymbol* symbol = nullptr;
  uint64_t offset = 0;
};

// A position in the table's history: names asked at an epoch come from the loads live then.
using SymbolEpoch = uint32_t;

// What one load of a module held: its name, its text and (in the table) its symbols. A reload
// that holds the same as its module's previous load shares that load's image, so a module
// reloaded in a loop (a reload stress test) costs one image, not one per load.
struct ModuleImage {
  std::string name;
  struct Range {
    uint64_t start = 0, size = 0;
    uint64_t end() const { return start + std::min(size, UINT64_MAX - start); }  // saturated
  };
  std::vector<Range> text;  // core text, then init text
  size_t symbols = 0;
  const Range* text_range(uint64_t addr) const;
};

// One load of a module, as the symbol table knows it: its image (SymbolTable::image) and when.
struct ModuleSymbolsLoad {
  uint64_t module = 0;                  // struct module *; 0 until its module_load was seen
  uint64_t load_ts = 0, unload_ts = 0;  // 0: not seen
  uint32_t image = 0;
  SymbolEpoch born = 0;
  SymbolEpoch died = UINT32_MAX;  // UINT32_MAX while loaded
  bool preexisting = false;
};

struct TraceMeta;
class SymbolView;

class SymbolTable {
 public:
  // vmlinux symbols, lock class names, and a module symbol: it belongs to its module's current
  // load (or, before that load's module_load arrives, e.g. the kallsyms snapshot at start, to a
  // load waiting for it).
  void add(KernelSymbol sym);
  // What a module event changes: module_load opens a load, module_free closes it. Returns the
  // epoch to name `ev` at (a module_free still names the module it frees).
  SymbolEpoch note(const Event& ev);
  // A module text range from a trace written before module loads carried their own (format 1.1
  // and older): joins the module's current load, or opens one.
  // False (nothing added) past kMaxLegacyRanges ranges for one load: no writer wrote that many.
  bool add_module_range(const std::string& module, uint64_t start, uint64_t size);
  static constexpr size_t kMaxLegacyRanges = 4;
  // Call when a stream of additions ends: a module_free closes its load here (or at the next
  // addition), so that the free's own event is still named with that load's symbols.
  void finalize();

  SymbolEpoch epoch() const { return epoch_; }
  SymbolView at(SymbolEpoch e) const;
  SymbolView now() const;

  bool empty() const { return kernel_.empty() && loads_.empty(); }
  // Address-ordered symbols (each distinct one once): vmlinux and every module load's, a set
  // shared by identical reloads counted once.
  size_t size() const;
  // vmlinux symbols, in address order (modules' are per load: module_symbols()).
  std::vector<KernelSymbol> kernel_symbols() const { return copy(kernel_); }
  const std::deque<ModuleSymbolsLoad>& loads() const { return loads_; }
  const ModuleImage& image(const ModuleSymbolsLoad& l) const { return images_[l.image].info; }
  std::vector<KernelSymbol> module_symbols(size_t load) const {
    return copy(images_[loads_[load].image].syms);
  }
  // The address of a vmlinux symbol by name (e.g. "misc_mtx").
  std::optional<uint64_t> lookup(std::string_view name) const;
  // Lockdep's name of the lock class with this key, nullopt when the trace never named it.
  std::optional<std::string> lock_class(uint64_t key) const;
  size_t lock_class_count() const { return lock_classes_.size(); }

 private:
  friend class SymbolView;
  // Symbols are kept in address-ordered sets, so that adding one is O(log n) whatever the order
  // they come in, and a symbol given twice is kept once. Among symbols at one address, the name a
  // developer recognises sorts last (name_rank in symbols.cpp): lookups take the last symbol at or
  // below an address.
  struct Ranked {
    KernelSymbol sym;
    int rank = 0;
    uint32_t image = 0;  // the image it belongs to (module symbols)
  };
  struct ByAddress {
    using is_transparent = void;
    bool operator()(const Ranked& a, const Ranked& b) const;
    bool operator()(uint64_t a, const Ranked& b) const { return a < b.sym.addr; }
    bool operator()(const Ranked& a, uint64_t b) const { return a.sym.addr < b; }
  };
  using SymbolSet = std::set<Ranked, ByAddress>;
  static std::vector<KernelSymbol> copy(const SymbolSet& s);
  static const Ranked* at_or_below(const SymbolSet& s, uint64_t addr);

  size_t open_load(const std::string& name);  // a new load, born now
  void close_load(size_t i);
  // A closed load whose image equals its module's previous load's takes that one instead.
  void share_with_previous(size_t i);
  void close_pending();  // the load a module_free closed, after that event
  void add_text(size_t i, uint64_t start, uint64_t size);
  // The past, for views at earlier epochs: a segment tree over epochs (leaf k is epoch k) whose
  // node n holds the text of the loads live during all of n's epochs and those of their symbols
  // that can name an address outside that text (past()), each sorted by address; the loads live
  // at e are those of the nodes on the path to leaf e. Built when a view of the past is asked
  // for after the table changed (while a trace streams, views are of the present). The nodes'
  // entries lie in two flat arrays: most nodes are empty.
  struct PastText {  // 16 bytes: the range's end is read from the load's image when needed
    uint64_t start;
    uint32_t load, range;  // loads_[load], its image's text[range]
  };
  uint64_t end_of(const PastText& t) const;
  struct Past {
    size_t leaves = 0;
    // Node n's entries: text[text_at[n], text_at[n + 1]) and syms[syms_at[n], syms_at[n + 1]).
    std::vector<uint32_t> text_at, syms_at;
    std::vector<PastText> text;
    std::vector<const Ranked*> syms;
    std::span<const PastText> text_of(size_t n) const {
      return {text.data() + text_at[n], text.data() + text_at[n + 1]};
    }
    std::span<const Ranked* const> syms_of(size_t n) const {
      return {syms.data() + syms_at[n], syms.data() + syms_at[n + 1]};
    }
  };
  const Past& past() const;

  SymbolSet kernel_;
  std::deque<ModuleSymbolsLoad> loads_;  // in the order they were opened
  struct Image {
    ModuleImage info;
    SymbolSet syms;
  };
  std::vector<Image> images_;          // each open load's own, and the closed loads'
  std::vector<uint32_t> free_images_;  // left by a load that took its predecessor's
  std::unordered_map<std::string, size_t> last_closed_;  // module name -> its last closed load
  // When another load's text was put over a live load's text (freed init text): by (load, start).
  std::map<std::pair<size_t, uint64_t>, SymbolEpoch> covered_;
  std::unordered_map<std::string, size_t> open_;         // module name -> its current load
  std::unordered_map<uint64_t, size_t> open_by_module_;  // struct module * -> its current load
  std::unordered_map<uint64_t, std::string> lock_classes_;
  SymbolEpoch epoch_ = 0;
  std::optional<size_t> pending_close_;

  // The present, for views at the current epoch: the text of the live loads by start (the
  // kernel never has two live modules' text at one address: a load's text replaces what it
  // overlaps, freed init text or a module whose free the trace lost), and their symbols.
  struct LiveText {
    uint64_t end;
    size_t load;
  };
  std::map<uint64_t, LiveText> live_text_;
  SymbolSet live_module_syms_;
  mutable Past past_;
  mutable SymbolEpoch past_epoch_ = UINT32_MAX;  // the epoch_ past_ was built at
};

// The table as of one epoch: every way of naming an address.
class SymbolView {
 public:
  SymbolView(const SymbolTable& t, SymbolEpoch e) : t_(&t), e_(e) {}

  // The symbol holding addr: inside a module's text only that load's own symbols; elsewhere the
  // closest symbol at or below addr among vmlinux and the loads live at this epoch, as long as
  // addr lies inside its object (its size when known).
  ResolvedAddress resolve(uint64_t addr) const;
  // "func+0x1a [mod]"; ".text+0x1a [mod]" inside a module whose symbols are unknown;
  // "0xffff..." otherwise.
  std::string format(uint64_t addr) const;
  // The name of the object at exactly addr or containing it, for lock addresses: "misc_mtx",
  // "file_systems_lock+0x8"; nullopt when it is not inside any known data symbol.
  std::optional<std::string> name_data(uint64_t addr) const;
  // The data symbol (d, b or r) at or containing addr, as name_data() finds it; nullptr otherwise.
  const KernelSymbol* data_symbol(uint64_t addr) const;
  // How reports name a lock: its lockdep class (class_key, lockdep kernels), followed by the data
  // object it is in when the class does not name that object ("srcu_reg_srcu+0x30 (lockdep class
  // *(sspp++))"); else the data object it is in (name_data); else its address "0x...".
  std::string lock_name(uint64_t addr, uint64_t class_key = 0) const;
  // The load whose text holds addr at this epoch, nullptr when none does.
  const ModuleSymbolsLoad* load_at(uint64_t addr) const;
  SymbolEpoch epoch() const { return e_; }

 private:
  long text_owner(uint64_t addr) const;  // index of the load, -1
  const SymbolTable* t_;
  SymbolEpoch e_;
};

// Loads of the trace whose symbols are missing, one line each: which, when, and why (from how
// the trace captured module symbols). Empty when every load was named.
std::vector<std::string> missing_symbols(const SymbolTable& syms, const TraceMeta& meta);

}  // namespace modrace
