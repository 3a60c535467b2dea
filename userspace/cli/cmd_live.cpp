// SPDX-License-Identifier: GPL-2.0-only
//
// `modrace live`: the analyzer attached to the live ring buffer. Each finding is printed as soon
// as the analyzer establishes it (most of them when the module concerned unloads); on exit
// (COMMAND done, --duration, SIGINT/SIGTERM) the rest of the report: incompleteness, unverified
// sites, outstanding references, the per-site summary.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "analyzer/analyzer.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "cli/tracing_options.h"
#include "events/error.h"
#include "events/log.h"
#include "loader/live_source.h"
#include "report/render.h"
#include "trace/symbolize.h"

namespace modrace::cli {

namespace {

struct LiveOptions {
  TracingOptions tracing;
  std::string format = "text";
  std::string fail_on = "error";
};

int run_live(const LiveOptions& o) {
  auto format = report_format_from_string(o.format);
  if (!format || *format == ReportFormat::sarif || *format == ReportFormat::ktap)
    throw Error(fmt::format("--format: expected text or json, got '{}'", o.format));
  auto fail_on = parse_fail_on(o.fail_on);
  log::set_verbose(o.tracing.verbose);
  auto topts = tracer_options(o.tracing);

  install_stop_handlers();
  std::atomic<bool> stop{false};
  loader::LiveSource src(loader::Tracer::open(topts), stop);
  log::note("live (locks={}); findings are printed as they are established",
            to_string(src.tracer().lock_provider()));
  std::fflush(stderr);
  touch_ready_file(o.tracing.ready_file);

  Session session(o.tracing.command, o.tracing.duration);
  // The source blocks while the kernel is quiet; a watcher decides when tracing ends.
  std::thread watcher([&] {
    while (!stop.load()) {
      if (session.should_stop()) stop.store(true);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  Analyzer analyzer;
  const TextOptions text_opts{.colour = use_colour()};
  std::set<std::string> printed;
  auto print_findings = [&](const std::vector<Finding>& fs) {
    for (const auto& f : fs) {
      if (!printed.insert(f.id).second) continue;
      if (*format == ReportFormat::text) fmt::print("{}\n", render_finding_text(f, text_opts));
    }
    std::fflush(stdout);
  };

  Event ev;
  try {
    while (src.next(ev)) {
      analyzer.consume(ev, src);
      print_findings(analyzer.take_new_findings(src));
    }
  } catch (...) {
    stop.store(true);
    watcher.join();
    throw;
  }
  watcher.join();
  const int child_status = session.finish();
  note_widen_totals(src.tracer(), o.tracing);

  Report rep = analyzer.finish(src);
  if (*format == ReportFormat::json) {
    fmt::print("{}", render_json(rep));
  } else {
    print_findings(rep.findings);  // the ones only the end of the trace establishes
    TextOptions summary = text_opts;
    summary.include_findings = false;
    fmt::print("{}", render_text(rep, summary));
  }
  std::fflush(stdout);
  int status = exit_status_for(rep, fail_on);
  if (status == kExitOk && child_status != 0) log::note("command exited {}", child_status);
  return status;
}

}  // namespace

void add_live_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "live", "Check the protocol on the running kernel, printing findings as they happen");
  auto o = std::make_shared<LiveOptions>();
  sub->add_option("--format", o->format, "text (default) or json (the whole report at the end)");
  sub->add_option("--fail-on", o->fail_on, "error (default), warning, info or none")
      ->capture_default_str();
  add_tracing_options(sub, o->tracing);
  sub->footer(
      "Exit status: 0 no finding at or above --fail-on, 1 findings, 2 cannot trace "
      "(not root, no BPF/BTF) or bad option.");
  sub->callback([o] { set_exit_status(run_live(*o)); });
}

}  // namespace modrace::cli
