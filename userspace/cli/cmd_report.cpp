// SPDX-License-Identifier: GPL-2.0-only
//
// modrace report: analyse a trace file and print the findings (text, JSON or SARIF). Streams
// the trace through the analyzer: memory is bounded by live state, not trace length.
// Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or input error (also a
// damaged or truncated trace, after the report of what was read, unless --fail-on none).
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "analyzer/analyzer.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "events/error.h"
#include "report/render.h"
#include "trace/symbolize.h"
#include "trace/trace_file.h"

namespace modrace::cli {

namespace {

struct ReportOptions {
  std::string file;
  std::string format = "text";
  std::string fail_on = "error";
  std::string out;
  std::vector<std::string> ko;
  std::string modules_dir;
};

void run_report(const ReportOptions& o) {
  // Validate options before reading anything: usage errors exit 2 without work.
  auto format = report_format_from_string(o.format);
  if (!format)
    throw Error(fmt::format("--format: expected text, json, sarif or ktap, got '{}'", o.format));
  auto fail_on = parse_fail_on(o.fail_on);
  Output out(o.out, o.file);  // before the analysis: a path that cannot be written fails first

  auto src = open_trace(o.file);
  FrameFormatter frames(collect_ko_files(o.ko, o.modules_dir));
  AnalyzerOptions aopts;
  aopts.format_frame = [&frames](uint64_t addr, SymbolView syms) {
    return frames.format(syms, addr);
  };
  aopts.locate = [&frames](uint64_t addr, SymbolView syms) -> std::optional<SourceLocation> {
    auto line = frames.source_line(syms, addr);
    if (!line) return std::nullopt;
    // "path/file.c:123"
    auto colon = line->rfind(':');
    if (colon == std::string::npos) return SourceLocation{*line, 0};
    return SourceLocation{line->substr(0, colon), static_cast<uint32_t>(std::strtoul(
                                                      line->c_str() + colon + 1, nullptr, 10))};
  };
  Report rep = analyze(*src, std::move(aopts));
  // A damaged trace is never "clean": with nothing read there is nothing to report; with a
  // part read, the report says so (complete: false) and, under --fail-on, the damage is the
  // command's error after it (exit 2), as for dump, info and export.
  const TraceMeta& m = src->meta();
  if (m.truncated && rep.events == 0)
    throw Error(fmt::format("{}: {}; no event could be read", o.file, m.truncation_reason));

  std::string text;
  switch (*format) {
    case ReportFormat::text:
      text = render_text(rep, {.colour = o.out.empty() && use_colour()});
      break;
    case ReportFormat::json:
      text = render_json(rep);
      break;
    case ReportFormat::sarif:
      text = render_sarif(rep);
      break;
    case ReportFormat::ktap:
      text = render_ktap(rep, fail_on);
      break;
  }
  out.write(text);
  out.commit();
  set_exit_status(exit_status_for(rep, fail_on));
  if (m.truncated && fail_on) throw Error(fmt::format("{}: {}", o.file, m.truncation_reason));
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto opts = std::make_shared<ReportOptions>();
  auto* sub = app.add_subcommand("report", "Analyse a trace file and report protocol violations");
  sub->add_option("FILE", opts->file, "Trace file (from modrace record or modrace synth)")
      ->required();
  sub->add_option("--format", opts->format, "text (default), json, sarif or ktap");
  sub->add_option("--fail-on", opts->fail_on,
                  "Exit 1 when a finding is at or above: error (default), warning, info, none");
  sub->add_option("-o,--output", opts->out, "Write the report here instead of stdout");
  sub->add_option("--ko", opts->ko, "Module .ko with DWARF, for file:line (repeatable)");
  sub->add_option("--modules-dir", opts->modules_dir, "Directory searched for .ko files");
  sub->callback([opts] { run_report(*opts); });
}

}  // namespace modrace::cli
