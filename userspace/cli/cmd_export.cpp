// SPDX-License-Identifier: GPL-2.0-only
//
// modrace export --perfetto OUT.json FILE: Chrome trace-event JSON for ui.perfetto.dev.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "events/error.h"
#include "trace/perfetto.h"
#include "trace/symbolize.h"
#include "trace/trace_file.h"

namespace modrace::cli {

namespace {
struct ExportOptions {
  std::string file;
  std::string perfetto;
  std::vector<std::string> ko;
  std::string modules_dir;
};

void run_export(const ExportOptions& o) {
  Output out(o.perfetto, o.file);
  auto src = open_trace(o.file);
  PerfettoOptions popts;
  popts.ko_files = collect_ko_files(o.ko, o.modules_dir);
  export_perfetto(*src, out.stream(), popts);
  out.commit();
  // The export is still written (up to the damage) before the error is reported.
  if (src->meta().truncated)
    throw Error(fmt::format("{}: {}", o.file, src->meta().truncation_reason));
}
}  // namespace

void add_export_command(CLI::App& app) {
  auto opts = std::make_shared<ExportOptions>();
  auto* sub = app.add_subcommand("export", "Export a trace for other tools");
  sub->add_option("--perfetto", opts->perfetto,
                  "Write Chrome trace-event JSON (opens in ui.perfetto.dev)")
      ->required();
  sub->add_option("FILE", opts->file, "Trace file")->required();
  sub->add_option("--ko", opts->ko, "Module .ko with DWARF, for file:line (repeatable)");
  sub->add_option("--modules-dir", opts->modules_dir, "Directory searched for .ko files");
  sub->callback([opts] { run_export(*opts); });
}

}  // namespace modrace::cli
