// SPDX-License-Identifier: GPL-2.0-only
//
// modrace dump: the events of a trace, one per line (perf-script style) or one JSON object per
// line. Streams: memory does not grow with the trace.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "events/error.h"
#include "events/printable.h"
#include "trace/event_format.h"
#include "trace/module_tracker.h"
#include "trace/symbolize.h"
#include "trace/trace_file.h"

namespace modrace::cli {

namespace {
struct DumpOptions {
  std::string file;
  bool json = false;
  bool stacks = false;
  std::vector<std::string> ko;
  std::string modules_dir;
};

void run_dump(const DumpOptions& o) {
  auto src = open_trace(o.file);
  Output out("");
  FrameFormatter frames(collect_ko_files(o.ko, o.modules_dir));
  ModuleTracker modules;
  EventFormatContext ctx{modules, frames, src->symbols().now()};
  Event ev;
  std::string line;
  while (src->next(ev)) {
    modules.observe(ev);
    ctx.symbols = src->symbols().at(src->event_epoch());
    auto stack = src->stacks().frames(ev.stack);
    if (o.json) {
      JsonObject j;
      add_event_json(ev, ctx, j);
      if (o.stacks) {
        std::string arr = "[";
        for (uint64_t f : stack) {
          if (arr.size() > 1) arr += ',';
          append_json_string(arr, ctx.frame(f));
        }
        j.raw("stack", arr + ']');
      }
      line = j.text();
    } else {
      line = format_event_line(ev, ctx);
      if (o.stacks)
        for (uint64_t f : stack) line += fmt::format("\n\t{:016x} {}", f, printable(ctx.frame(f)));
    }
    line += '\n';
    out.write(line);  // stops at the first failed write
  }
  out.commit();
  const auto& m = src->meta();
  if (m.truncated) throw Error(fmt::format("{}: {}", o.file, m.truncation_reason));
}
}  // namespace

void add_dump_command(CLI::App& app) {
  auto opts = std::make_shared<DumpOptions>();
  auto* sub = app.add_subcommand("dump", "Print the events of a trace, one per line");
  sub->add_option("FILE", opts->file, "Trace file")->required();
  sub->add_flag("--json", opts->json, "One JSON object per line (with a \"kind\" field)");
  sub->add_flag("--stacks", opts->stacks, "Print each event's kernel stack below it");
  sub->add_option("--ko", opts->ko, "Module .ko with DWARF, for file:line (repeatable)");
  sub->add_option("--modules-dir", opts->modules_dir, "Directory searched for .ko files");
  sub->callback([opts] { run_dump(*opts); });
}

}  // namespace modrace::cli
