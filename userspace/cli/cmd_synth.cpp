// SPDX-License-Identifier: GPL-2.0-only
//
// modrace synth: writes a realistic synthetic trace (many modules and tasks, load/unload cycles
// with pointer reuse, every protocol violation at known sites) for demos, benchmarks and tests
// of the readers.
#include <fmt/format.h>

#include "cli/commands.h"
#include "events/error.h"
#include "events/log.h"
#include "synth/synth.h"
#include "trace/trace_file.h"

namespace modrace::cli {

namespace {

struct SynthCmdOptions {
  uint64_t events = 1'000'000;
  uint64_t seed = 1;
  uint32_t tasks = 64;
  std::string out;
};

void run_synth(const SynthCmdOptions& o) {
  if (o.out.empty() || o.out == "-") throw Error("synth: -o FILE is required (not stdout)");
  SynthOptions so;
  so.events = o.events;
  so.seed = o.seed;
  so.tasks = o.tasks;
  SynthSource src(so);
  auto w = TraceWriter::create(o.out, src.meta());
  w->add_symbols(src.symbols().kernel_symbols());
  Event ev;
  while (src.next(ev)) {
    w->write(ev, src.stacks());
    if (const auto* m = std::get_if<ModuleLoad>(&ev.data))
      w->add_symbols(src.module_symbols(m->module));
  }
  w->set_drops(src.meta().drops);
  w->close();
  log::note("wrote {} events ({} bytes) to {}", w->events_written(), w->bytes_written(), o.out);
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto opts = std::make_shared<SynthCmdOptions>();
  auto* sub = app.add_subcommand("synth", "Write a synthetic trace with known violations");
  // Bounded: a wrapped --events -1 would fill the disk, --tasks 4000000000 the memory.
  sub->add_option("--events", opts->events, "Number of events (default 1000000)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000'000}));
  sub->add_option("--seed", opts->seed, "Random seed: the same seed gives the same trace");
  sub->add_option("--tasks", opts->tasks, "Number of tasks opening and closing (default 64)")
      ->check(CLI::Range(uint32_t{1}, uint32_t{100'000}));
  sub->add_option("-o,--output", opts->out, "Trace file to write")->required();
  sub->callback([opts] { run_synth(*opts); });
}

}  // namespace modrace::cli
