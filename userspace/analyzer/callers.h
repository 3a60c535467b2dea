// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. CallerIndex: whose code a caller ip is (a module instance's text,
// live first and then freed, or vmlinux and which loader function), cached for the hot path.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "analyzer/hash.h"
#include "analyzer/module_loader.h"
#include "analyzer/modules.h"
#include "events/source.h"

namespace modrace::checker {

struct Caller {
  Instance* inst = nullptr;  // module whose text holds the ip, nullptr for vmlinux
  CoreFn core = CoreFn::none;
  bool resolved = false;  // a symbol named the ip
};

// Where a caller ip lies in its module: which module, core or init text, offset in it (stable
// across loads, unlike the ip). For Site and FindingAcc alike.
template <class T>
void place_caller(T& t, uint64_t ip, const Caller& c) {
  if (!c.inst) return;
  t.caller_mod = c.inst->name_id;
  bool in_core = ip >= c.inst->core_start && ip - c.inst->core_start < c.inst->core_size;
  t.caller_in_init = !in_core;
  t.caller_off = ip - (in_core ? c.inst->core_start : c.inst->init_start);
}

class CallerIndex {
 public:
  explicit CallerIndex(const ModuleTable& modules) : modules_(modules) {}

  // Whether a frame of `stack` runs code of a module load that pins `target` (the loader took a
  // reference on it for that module: ref_module): that code, and whatever vmlinux function it
  // called, cannot see `target` unloaded under it, its init included.
  bool stack_runs_dependent_of(std::span<const uint64_t> stack, const Instance& target,
                               const EventSource& src) {
    if (!target.pinned_by_another) return false;  // the common case: nothing to look for
    for (uint64_t pc : stack)
      if (Caller c = classify(pc, src); c.inst && c.inst != &target && c.inst->pins(target))
        return true;
    return false;
  }

  Caller classify(uint64_t ip, const EventSource& src) {
    auto& slot = caller_cache_[mix64(ip) % kCallerCache];
    if (slot.ip == ip && slot.gen == modules_.ranges_gen()) return slot.c;
    Caller c = classify_slow(ip, src);
    // Unresolved vmlinux ips are not cached: a live source may add symbols later.
    if (c.inst || !src.symbols().empty()) slot = {ip, modules_.ranges_gen(), c};
    return c;
  }

 private:
  Caller classify_slow(uint64_t ip, const EventSource& src);

  const ModuleTable& modules_;
  static constexpr size_t kCallerCache = 1024;
  struct CallerSlot {
    uint64_t ip = 0, gen = 0;
    Caller c;
  };
  std::vector<CallerSlot> caller_cache_ = std::vector<CallerSlot>(kCallerCache);
  std::unordered_map<uint64_t, Caller> core_cache_;  // vmlinux ips are stable for the trace
};

}  // namespace modrace::checker
