// SPDX-License-Identifier: GPL-2.0-only
// `modrace record`: live events into a trace file, until COMMAND exits, --duration ends, or
// SIGINT/SIGTERM. The file is readable after any of them, and after a crash up to the last
// flush (once a second).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/session.h"
#include "cli/tracing_options.h"
#include "events/clock.h"
#include "events/error.h"
#include "events/log.h"
#include "loader/kallsyms.h"
#include "loader/modules.h"
#include "loader/tracer.h"
#include "trace/trace_file.h"

namespace modrace::cli {

namespace {

struct RecordOpts {
  std::string output = "modrace.trace";
  std::string done_file;
  TracingOptions tracing;
};

int run_record(const RecordOpts& ro) {
  const TracingOptions& o = ro.tracing;
  log::set_verbose(o.verbose);
  loader::TracerOptions to = tracer_options(o);

  install_stop_handlers();

  auto tracer = loader::Tracer::open(to);

  TraceMeta meta = tracer->trace_meta();
  auto writer = TraceWriter::create(ro.output, meta);
  // Module symbols walked by the kernel at module_load reach the file before the events that
  // follow them, so even a module gone a moment later is named.
  tracer->set_symbol_sink([&](std::span<const KernelSymbol> syms) { writer->add_symbols(syms); });

  writer->add_symbols(tracer->kallsyms().symbols());
  for (auto& ev : loader::preexisting_module_events(tracer->kallsyms(), meta.start_ts_ns))
    writer->write(ev, tracer->stacks());
  writer->flush();

  int attached = 0;
  for (const auto& s : tracer->probes()) attached += s.attached;
  log::note("recording ({} attach points, locks={}) to {}", attached,
            to_string(tracer->lock_provider()), ro.output);
  std::fflush(stderr);
  touch_ready_file(o.ready_file);

  Session session(o.command, o.duration);
  const bool tty = isatty(STDERR_FILENO);
  uint64_t last_flush = monotonic_ns(), last_status_events = 0;
  std::vector<ModuleLoad> new_modules;

  auto handle = [&](Event& ev) {
    writer->write(ev, tracer->stacks());
    if (auto* m = std::get_if<ModuleLoad>(&ev.data)) new_modules.push_back(*m);
  };
  // Without the in-kernel walk, symbols as each load is seen (read after it).
  const bool kallsyms_fallback = !tracer->module_symbols_from_bpf();
  auto capture_modules = [&] {
    for (const auto& m : new_modules) {
      auto syms = loader::symbols_after_load(*tracer, m);
      if (!syms.empty()) writer->add_symbols(syms);
    }
    new_modules.clear();
  };

  for (;;) {
    tracer->poll(200, handle);
    capture_modules();
    if (session.should_stop()) break;
    uint64_t now = monotonic_ns();
    if (now - last_flush >= 1000000000ull) {
      auto d = tracer->drops();
      writer->set_drops(d);
      writer->flush();
      if (tty) {
        uint64_t n = writer->events_written();
        double rate = double(n - last_status_events) * 1e9 / double(now - last_flush);
        log::raw(fmt::format("\rmodrace: {} events, {:.0f}/s, drops {}   ", n, rate, d.describe()));
        last_status_events = n;
      }
      last_flush = now;
    }
  }

  // Drain: what the kernel produced up to now, then the final counters.
  tracer->poll(50, handle);
  while (tracer->poll(0, handle) > 0) {
  }
  capture_modules();
  auto drops = tracer->drops();
  writer->set_drops(drops);
  writer->close();
  note_widen_totals(*tracer, o);
  if (tty) log::raw("\n");
  log::note("{} events, drops {}, {} bytes written to {}", writer->events_written(),
            drops.describe(), writer->bytes_written(), ro.output);
  log::note("module symbols: {}", kallsyms_fallback
                                      ? std::string("read from /proc/kallsyms after each load")
                                      : fmt::format("{} walked in the kernel at module_load",
                                                    tracer->module_symbols_seen()));
  if (uint64_t n = tracer->module_symbols_unnamed())
    log::note("{} module symbols dropped: the module_load record before them was lost", n);
  if (drops[DropCause::lock_table])
    if (std::string why = tracer->lock_table_detail(); !why.empty())
      log::note("lock_table drops: {}", why);
  if (log::verbose_enabled()) {
    for (const auto& [prog, n] : tracer->recursion_misses())
      log::verbose("{}: {} recursion misses", prog, n);
    // Only while kernel.bpf_stats_enabled is 1 does the kernel count (docs/performance.md).
    for (const auto& c : tracer->program_costs())
      log::verbose("program {}: {} runs, {} ns/run", c.name, c.runs, c.run_time_ns / c.runs);
  }
  if (tracer->malformed_records())
    log::bug("{} malformed ring-buffer records skipped", tracer->malformed_records());

  const int status = session.finish();
  // The trace is complete; detaching the probes (when `tracer` goes) can take a while: each
  // kprobe's removal waits for an RCU grace period, ~36 s for 65 of them on 6.12-rt under TCG.
  touch_ready_file(ro.done_file);
  return status;
}

}  // namespace

void add_record_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "record", "Record module lifecycle, refcount and lock events of the running kernel");
  auto o = std::make_shared<RecordOpts>();
  sub->add_option("-o,--output", o->output, "Trace file")->capture_default_str();
  add_tracing_options(sub, o->tracing);
  sub->add_option("--done-file", o->done_file,
                  "Create this file once the trace is complete, before the probes are detached");
  sub->footer("Exit status: COMMAND's when one was given, else 0; 2 when recording cannot start.");
  sub->callback([o] { set_exit_status(run_record(*o)); });
}

}  // namespace modrace::cli
