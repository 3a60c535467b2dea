// SPDX-License-Identifier: GPL-2.0-only
//
// A synthetic, deterministic event stream that looks like a busy kernel: many modules in
// several subsystems (each with its own open-path lock pattern), many tasks opening and closing,
// module unload/reload cycles with pointer reuse, and every protocol violation at known sites.
// An EventSource, so tests and benchmarks use it without a file; `modrace synth` writes it
// through TraceWriter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/findings.h"
#include "events/source.h"

namespace modrace {

struct SynthOptions {
  uint64_t events = 1'000'000;
  uint64_t seed = 1;
  uint32_t tasks = 64;
  // One in `unload_every` episodes is a module unload or load (the rest open/close).
  uint32_t unload_every = 400;
};

// A finding the generator plants: the analyzer must report it (given enough events for the
// module to go through an unload; a few hundred thousand is plenty).
struct PlantedFinding {
  Rule rule;
  std::string module;
  std::string function;  // of the site
};

class SynthSource final : public EventSource {
 public:
  explicit SynthSource(SynthOptions opts);
  ~SynthSource() override;
  bool next(Event& ev) override;
  const TraceMeta& meta() const override { return meta_; }
  const StackTable& stacks() const override { return stacks_; }
  const SymbolTable& symbols() const override { return symbols_; }

  // Everything the generator plants, whatever the length of the stream.
  std::vector<PlantedFinding> planted() const;
  SymbolEpoch event_epoch() const override { return epoch_; }
  // The symbols of the module at `module` (struct module *), as each of its loads brings them.
  const std::vector<KernelSymbol>& module_symbols(uint64_t module) const;
  uint64_t emitted() const { return emitted_; }

 private:
  struct Module;
  struct Task;
  void refill();
  void open(Task& t);
  void close(Task& t);
  void lifecycle(Module& m);
  void load(Module& m, bool preexisting);
  void unload(Module& m);
  Event& push(EventKind kind, uint32_t tid, const char* comm);
  void refop(EventKind kind, Module& m, Task* t, uint64_t ip, const LockContext& lc, bool ok,
             StackId stack);
  uint64_t fn(const std::string& name);
  uint64_t data(const std::string& name);
  StackId stack_for(uint64_t op_fn, uint64_t site, uint64_t caller);
  uint64_t rand();

  SynthOptions opts_;
  uint64_t rng_;
  uint64_t ts_ = 1'000'000'000;
  uint64_t emitted_ = 0;
  TraceMeta meta_;
  StackTable stacks_;
  SymbolTable symbols_;
  SymbolEpoch epoch_ = 0;
  std::vector<Module> modules_;
  std::vector<Task> tasks_;
  std::vector<Event> queue_;  // refilled in batches; a deque would allocate per event
  size_t head_ = 0;
  uint64_t next_text_ = 0x1000;
  std::vector<std::pair<std::string, uint64_t>> fns_, datas_;
};

}  // namespace modrace
