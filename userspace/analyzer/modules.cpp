// SPDX-License-Identifier: GPL-2.0-only
//
// Module lifecycle: loads, pointer reuse, state changes, init text freed, unloads in progress.
#include "analyzer/modules.h"

#include <algorithm>

#include <fmt/format.h>

namespace modrace::checker {

uint32_t ModuleTable::intern_name(std::string_view name) {
  auto it = name_ids_.find(std::string(name));
  if (it != name_ids_.end()) return it->second;
  auto id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  name_ids_.emplace(std::string(name), id);
  current_by_name_.push_back(nullptr);
  return id;
}

Instance& ModuleTable::instance_slow(uint64_t ptr, std::pair<uint64_t, Instance*>& slot) {
  auto it = by_ptr_.find(ptr);
  if (it == by_ptr_.end()) {
    // A module never seen loading (the recorder should have synthesised a preexisting load):
    // named by its pointer, accounting unknown.
    auto inst = std::make_unique<Instance>();
    inst->ptr = ptr;
    inst->known = false;
    inst->preexisting = true;
    inst->seq = ++load_seq_;
    inst->name_id = intern_name(fmt::format("0x{:x}", ptr));
    current_by_name_[inst->name_id] = inst.get();
    it = by_ptr_.emplace(ptr, std::move(inst)).first;
  }
  slot = {ptr, it->second.get()};
  return *slot.second;
}

std::unique_ptr<Instance> ModuleTable::load(const Event& ev, const ModuleLoad& l) {
  auto inst = std::make_unique<Instance>();
  inst->ptr = l.module;
  inst->seq = ++load_seq_;
  inst->name_id = intern_name(l.name);
  inst->core_start = l.core_text_start;
  inst->core_size = l.core_text_size;
  inst->init_start = l.init_text_start;
  inst->init_size = l.init_text_size;
  inst->preexisting = l.preexisting;
  // try_module_get succeeds on COMING modules; module_load fires in COMING just before init.
  inst->state = l.preexisting ? ModuleState::live : ModuleState::coming;
  inst->refs.initial_ref = !l.preexisting;
  if (auto it = pending_deps_.find(ev.tid); it != pending_deps_.end()) {
    inst->deps = std::move(it->second);
    pending_deps_.erase(it);
    for (const auto& [ptr, seq] : inst->deps)
      if (auto dep = by_ptr_.find(ptr); dep != by_ptr_.end() && dep->second->seq == seq)
        dep->second->pinned_by_another = true;
  }
  modules_seen_++;
  // Another module's init text where this one's text now lies was freed (do_init_module frees
  // it once the module is LIVE): without the LIVE transition in the trace, this is how we learn.
  forget_init_text_over(inst->core_start, inst->core_size);
  forget_init_text_over(inst->init_start, inst->init_size);
  std::unique_ptr<Instance> old;
  auto it = by_ptr_.find(l.module);
  if (it != by_ptr_.end()) {
    // Pointer reuse: the old instance is gone for good (a task still unloading it finds a
    // newer seq at the pointer: unloading_instance() lets it go).
    Instance& o = *it->second;
    if (current_by_name_[o.name_id] == &o) current_by_name_[o.name_id] = nullptr;
    unindex_text(o);
    old = std::move(it->second);
    it->second = std::move(inst);
  } else {
    it = by_ptr_.emplace(l.module, std::move(inst)).first;
  }
  current_by_name_[it->second->name_id] = it->second.get();
  index_text(*it->second);
  inst_cache_.fill({0, nullptr});
  ranges_gen_++;
  return old;
}

void ModuleTable::set_state(const ModuleStateChange& s) {
  Instance& inst = instance_for(s.module);
  inst.state = s.state;
  if (s.state == ModuleState::live) forget_init_text(inst);
}

// The kernel frees a module's init text once it is LIVE, and the next module loaded may get
// that memory for its own text: an ip there must not be taken for the first module's code
// (seed-selfput's release was once blamed on seed_core, whose init seed_drv's text reused).
void ModuleTable::forget_init_text(Instance& inst) {
  if (!inst.init_size) return;
  unindex_text(inst);
  inst.init_start = inst.init_size = 0;
  index_text(inst);
  ranges_gen_++;
}

namespace {
// The end of [start, start + size), saturated: sizes come from the trace.
uint64_t end_of(uint64_t start, uint64_t size) {
  return start + std::min(size, UINT64_MAX - start);
}
}  // namespace

void ModuleTable::forget_init_text_over(uint64_t start, uint64_t size) {
  if (!size) return;
  uint64_t end = end_of(start, size);
  auto it = init_text_.upper_bound(start);
  if (it != init_text_.begin()) {
    const Instance& prev = *std::prev(it)->second;
    if (end_of(prev.init_start, prev.init_size) > start) --it;
  }
  while (it != init_text_.end() && it->first < end) forget_init_text(*(it++)->second);
}

void ModuleTable::index_text(Instance& inst) {
  TextIndex& idx = inst.freed ? freed_text_ : live_text_;
  if (inst.core_size)
    idx.emplace(inst.core_start, Text{end_of(inst.core_start, inst.core_size), &inst});
  if (inst.init_size) {
    idx.emplace(inst.init_start, Text{end_of(inst.init_start, inst.init_size), &inst});
    init_text_[inst.init_start] = &inst;
  }
}

void ModuleTable::unindex_text(Instance& inst) {
  TextIndex& idx = inst.freed ? freed_text_ : live_text_;
  auto drop = [&](uint64_t start, uint64_t size) {
    if (!size) return;
    auto [b, e] = idx.equal_range(start);
    for (auto it = b; it != e; ++it)
      if (it->second.inst == &inst) {
        idx.erase(it);
        break;
      }
  };
  drop(inst.core_start, inst.core_size);
  drop(inst.init_start, inst.init_size);
  if (auto it = init_text_.find(inst.init_start);
      inst.init_size && it != init_text_.end() && it->second == &inst)
    init_text_.erase(it);
}

Instance* ModuleTable::text_owner(uint64_t ip) const {
  for (const TextIndex* idx : {&live_text_, &freed_text_}) {
    auto it = idx->upper_bound(ip);
    if (it != idx->begin() && ip < std::prev(it)->second.end) return std::prev(it)->second.inst;
  }
  return nullptr;
}

Instance& ModuleTable::free(uint64_t ptr) {
  Instance& inst = instance_for(ptr);
  unindex_text(inst);
  inst.freed = true;
  inst.state = ModuleState::going;
  index_text(inst);
  ranges_gen_++;
  return inst;
}

void ModuleTable::begin_unload(uint32_t tid, const std::string& name, SymbolEpoch epoch) {
  auto n = name_ids_.find(name);
  if (n == name_ids_.end()) return;  // a module we know nothing about (or a typo)
  Instance* inst = current_by_name_[n->second];
  if (!inst || inst->freed) return;
  inst->unloading = true;
  inst->exit_began = false;
  inst->unload.begin(epoch);
  unloaders_[tid] = {inst->ptr, inst->seq};
}

Instance* ModuleTable::end_unload(uint32_t tid) {
  Instance* inst = unloading_instance(tid);
  unloaders_.erase(tid);
  if (inst) inst->unloading = false;
  return inst;
}

Instance* ModuleTable::unloading_instance(uint32_t tid) {
  auto it = unloaders_.find(tid);
  if (it == unloaders_.end()) return nullptr;
  auto p = by_ptr_.find(it->second.ptr);
  if (p == by_ptr_.end() || p->second->seq != it->second.seq) return nullptr;
  return p->second.get();
}

}  // namespace modrace::checker
