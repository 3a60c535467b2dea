// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. ModuleTable: every load of every module (an Instance, keyed by
// pointer and load sequence), its name, text, lifecycle (COMING/LIVE/GOING, freed, unloading)
// and what it owns: its references, its unload path and the rule verdicts waiting for its unload.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analyzer/hash.h"
#include "analyzer/references.h"
#include "analyzer/unload_path.h"
#include "events/event.h"

namespace modrace::checker {

// Refused gets seen while an unload was in progress, per sig: judged when the unload
// completes, against when its path took each lock (docs/protocol.md, get-while-going).
struct GoingGets {
  uint64_t count = 0;
  uint64_t widened = 0;  // of them, held by --widen
  uint64_t last_ts = 0;
};

// One load of a module. Freed instances stay until a new load reuses their pointer, so a late
// get on a freed pointer is recognised.
struct Instance {
  uint64_t ptr = 0;
  uint32_t name_id = 0;
  uint64_t seq = 0;
  uint64_t core_start = 0, core_size = 0, init_start = 0, init_size = 0;
  bool known = true;  // a module_load was seen
  bool preexisting = false;
  ModuleState state = ModuleState::live;
  bool freed = false;
  bool unloading = false;   // a task is inside delete_module for it
  bool exit_began = false;  // refcount reached 0 / unregister seen / get refused, while unloading
  bool unloaded = false;    // a completed unload was observed
  bool busy_failed = false;
  std::string busy_errno;                           // of the last failed-busy unload
  std::vector<std::pair<uint64_t, uint64_t>> deps;  // (ptr, seq) of modules this one pins
  bool pinned_by_another = false;  // some module's load pinned this one (it has dependents)

  RefLedger refs;
  UnloadPath unload;

  // Verdicts waiting for this load's unload (the rules say what they mean).
  std::unordered_map<uint32_t, uint64_t> pending;      // unprotected-get: sig -> gets
  std::unordered_map<uint32_t, GoingGets> going_gets;  // get-while-going: sig -> refused gets
  // ref-leak: references outstanding at failed-busy unloads, by site (the most seen at any).
  std::unordered_map<uint32_t, uint64_t> busy_refs;

  // Accounting starts from a known zero only for instances loaded during the recording.
  bool exact() const { return known && !preexisting; }
  // This load holds a reference on `other` that the loader took (ref_module).
  bool pins(const Instance& other) const {
    bool p = false;
    for (auto& d : deps) p |= d.first == other.ptr && d.second == other.seq;
    return p;
  }
};

class ModuleTable {
 public:
  using Instances = std::unordered_map<uint64_t, std::unique_ptr<Instance>>;

  // The current instance at a pointer; one never seen loading is created, named by its pointer.
  Instance& instance_for(uint64_t ptr) {
    auto& slot = inst_cache_[mix64(ptr) % kInstCache];  // struct module * are 1 MiB-aligned-ish
    if (slot.first == ptr && slot.second) return *slot.second;
    return instance_slow(ptr, slot);
  }

  // module_load. Returns the instance it replaced when the pointer was reused (the caller
  // settles what that one left pending), else nullptr.
  std::unique_ptr<Instance> load(const Event& ev, const ModuleLoad& l);
  void set_state(const ModuleStateChange& s);
  Instance& free(uint64_t ptr);

  // delete_module enter by `tid` on `name`; exit: the instance it was unloading, if any.
  void begin_unload(uint32_t tid, const std::string& name, SymbolEpoch epoch);
  Instance* end_unload(uint32_t tid);
  // The instance task `tid` is inside delete_module for, nullptr when none.
  Instance* unloading_instance(uint32_t tid);
  // Task `tid`, loading a module, made the loader pin `dep` for it (ref_module).
  void pin_dependency(uint32_t tid, const Instance& dep) {
    pending_deps_[tid].push_back({dep.ptr, dep.seq});
  }

  uint32_t intern_name(std::string_view name);
  const std::string& name(uint32_t name_id) const { return names_[name_id]; }
  // Every instance, current or freed (the map is fixed; the instances in it are not).
  const Instances& instances() const { return by_ptr_; }
  uint64_t modules_seen() const { return modules_seen_; }
  // Bumped whenever any instance's text ranges change (load, init text freed, module freed).
  uint64_t ranges_gen() const { return ranges_gen_; }
  // The instance whose text holds ip: a live one, else a freed one (a late call into unloaded
  // code); nullptr when none does.
  Instance* text_owner(uint64_t ip) const;

 private:
  Instance& instance_slow(uint64_t ptr, std::pair<uint64_t, Instance*>& slot);
  void forget_init_text(Instance& inst);
  void forget_init_text_over(uint64_t start, uint64_t size);
  // Every instance's text is in the indexes below, which each change keeps current (an index
  // rebuilt per load would cost O(loads^2) over a trace).
  void index_text(Instance& inst);
  void unindex_text(Instance& inst);

  struct Text {
    uint64_t end;
    Instance* inst;
  };
  using TextIndex = std::multimap<uint64_t, Text>;  // by start
  TextIndex live_text_, freed_text_;
  // Init text by start. Disjoint: a load forgets the init text its own text overlaps.
  std::map<uint64_t, Instance*> init_text_;

  uint64_t load_seq_ = 0;
  uint64_t modules_seen_ = 0;
  uint64_t ranges_gen_ = 1;
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> name_ids_;
  std::vector<Instance*> current_by_name_;  // name id -> the live (or last) instance
  Instances by_ptr_;
  static constexpr size_t kInstCache = 64;
  std::array<std::pair<uint64_t, Instance*>, kInstCache> inst_cache_{};

  struct TaskUnload {
    uint64_t ptr = 0, seq = 0;
  };
  std::unordered_map<uint32_t, TaskUnload> unloaders_;  // tid -> module being deleted
  // tid -> modules the loader pinned for the module this task is loading (ref_module)
  std::unordered_map<uint32_t, std::vector<std::pair<uint64_t, uint64_t>>> pending_deps_;
};

}  // namespace modrace::checker
