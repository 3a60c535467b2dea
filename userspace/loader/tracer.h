// SPDX-License-Identifier: GPL-2.0-only
//
// The live tracer: opens the BPF skeleton, chooses an attach method per attach point, loads,
// calibrates, attaches, and turns ring-buffer records into events (the sequence; the decisions
// are in kernel_features.h, attach_plan.h and calibration.h). The only code that uses
// libbpf (docs/tracer.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/stack_table.h"
#include "events/trace_meta.h"
#include "loader/attach_plan.h"
#include "loader/calibration.h"
#include "loader/kallsyms.h"
#include "loader/kernel_features.h"
#include "loader/probes.h"
#include "loader/widen.h"

namespace modrace::loader {

struct TracerOptions {
  LockMode locks = LockMode::auto_;
  std::vector<std::string> modules;  // --module filters (refcount events only)
  uint64_t ringbuf_size = 32ull << 20;
  bool prefer_kprobe = false;    // skip fentry everywhere (a fallback, and for testing)
  bool attach = true;            // false: load only (modrace check still attaches to be truthful)
  std::vector<WidenSpec> widen;  // --widen: get sites to hold (bpf/widen.bpf.h)
};

// What --widen did, counted in the kernel (bpf/widen.bpf.h).
struct WidenTotals {
  uint64_t held = 0;    // gets held at a widened site
  uint64_t capped = 0;  // gets at a widened site not held: the per-second budget was spent
  uint64_t held_ns = 0;
};

class Tracer {
 public:
  // Everything up to attached probes. Throws modrace::Error ("needs root", "no BTF", ...) with
  // one line saying what is missing.
  static std::unique_ptr<Tracer> open(const TracerOptions& opts);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  const std::vector<ProbeStatus>& probes() const;
  LockProvider lock_provider() const;
  const Calibration& calibration() const;
  // "try_module_get=kprobe", "locks=probe", ... for TraceMeta::features.
  std::vector<std::string> features() const;
  // The header of a recording made now by this tracer: kernel, host, lock provider, features,
  // start times.
  TraceMeta trace_meta() const;
  const Kallsyms& kallsyms() const;
  // Re-reads /proc/kallsyms's modules (after attach it also names our BPF programs and
  // trampolines).
  void refresh_kallsyms();
  const PreemptModel& preempt_model() const;

  // Module symbols walked in the kernel at module_load (MR_REC_MODULE_SYMBOL records). They are
  // handed to the sink during poll(), before any event that follows them in the ring buffer, with
  // `module` set from the module_load event of the same struct module. When this is false the
  // kernel cannot walk them (no bpf_loop, or the verifier refused it) and callers fall back to
  // reading /proc/kallsyms after each module_load (too late for short-lived modules).
  bool module_symbols_from_bpf() const;
  using SymbolSink = std::function<void(std::span<const KernelSymbol>)>;
  void set_symbol_sink(SymbolSink sink);
  uint64_t module_symbols_seen() const;
  // Of those, the ones dropped because their module_load record was lost (loader/symbol_records.h).
  uint64_t module_symbols_unnamed() const;

  // Waits up to timeout_ms for records and hands each converted event to `fn`. Returns the
  // number of events, or -1 when interrupted (EINTR).
  int poll(int timeout_ms, const std::function<void(Event&)>& fn);
  StackTable& stacks();
  // Cumulative drops: the BPF drop map plus the recursion misses of the lock programs.
  DropCounters drops() const;
  uint64_t malformed_records() const;
  WidenTotals widen_totals() const;
  // Programs the kernel skipped because they would have recursed, by program (for -v).
  std::vector<std::pair<std::string, uint64_t>> recursion_misses() const;
  // What each program that ran cost, by the kernel's own accounting: empty unless
  // kernel.bpf_stats_enabled was 1 while it ran (for -v and the benchmarks).
  struct ProgramCost {
    std::string name;
    uint64_t runs = 0, run_time_ns = 0;
  };
  std::vector<ProgramCost> program_costs() const;
  // Where lock_table drops came from, in words ("" when none): full task lock tables, unload-lock
  // map updates that failed (by error), delete_module calls the unloading map refused.
  std::string lock_table_detail() const;

 private:
  Tracer();
  // All of the tracer's state: what open() decided, the loaded BPF object, the reader's state.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace modrace::loader
