// SPDX-License-Identifier: GPL-2.0-only
//
// libFuzzer target for every path that reads a trace: any input must either be rejected with
// modrace::Error or stream to its end (possibly marked truncated), and whatever the reader let
// through must survive what the commands do with it: dump's text and JSON lines (with stacks),
// the analysis and the report in every format, the perfetto export. Crashes, hangs, leaks and
// big allocations are bugs. Built with -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which turns
// off the block checksum so the fuzzer reaches the decoders behind it.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>

#include "analyzer/analyzer.h"
#include "events/error.h"
#include "report/render.h"
#include "trace/event_format.h"
#include "trace/perfetto.h"
#include "trace/trace_file.h"

namespace {
std::string scratch_path() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/modrace-fuzz-" + std::to_string(::getpid()) +
         ".mrtrace";
}

// Each pass reads at most this many events: the reader's memory and time are bounded by the
// input (the decompressed-size cap), and this keeps one input within libFuzzer's -timeout.
constexpr uint64_t kMaxEvents = 2000;

// The trace, cut after kMaxEvents events.
class BoundedSource final : public modrace::EventSource {
 public:
  explicit BoundedSource(const std::string& path) : src_(modrace::open_trace(path)) {}
  bool next(modrace::Event& ev) override { return n_++ < kMaxEvents && src_->next(ev); }
  const modrace::TraceMeta& meta() const override { return src_->meta(); }
  const modrace::StackTable& stacks() const override { return src_->stacks(); }
  const modrace::SymbolTable& symbols() const override { return src_->symbols(); }
  modrace::SymbolEpoch event_epoch() const override { return src_->event_epoch(); }

 private:
  std::unique_ptr<modrace::TraceReader> src_;
  uint64_t n_ = 0;
};

// What cmd_dump does, text and JSON, with stacks.
void dump(const std::string& path) {
  BoundedSource src(path);
  modrace::ModuleTracker modules;
  modrace::FrameFormatter frames({});
  modrace::EventFormatContext ctx{modules, frames, src.symbols().now()};
  modrace::Event ev;
  while (src.next(ev)) {
    modules.observe(ev);
    ctx.symbols = src.symbols().at(src.event_epoch());
    if (!modrace::payload_matches_kind(ev)) std::abort();
    (void)modrace::format_event_line(ev, ctx);
    modrace::JsonObject j;
    modrace::add_event_json(ev, ctx, j);
    (void)j.text();
    for (uint64_t a : src.stacks().frames(ev.stack)) (void)ctx.frame(a);
  }
}

// What cmd_report does, in every format.
void report(const std::string& path) {
  BoundedSource src(path);
  modrace::Report rep = modrace::analyze(src);
  (void)modrace::render_text(rep);
  (void)modrace::render_json(rep);
  (void)modrace::render_sarif(rep);
  (void)modrace::render_ktap(rep, modrace::parse_fail_on("error"));
}

// What cmd_export does, into a stream that discards.
void export_perfetto(const std::string& path) {
  struct NullBuf : std::streambuf {
    int overflow(int c) override { return c; }
  } buf;
  std::ostream null(&buf);
  BoundedSource src(path);
  modrace::export_perfetto(src, null);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The reader works on files (pread, fstat); a per-process scratch file keeps that path honest.
  static const std::string path = scratch_path();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  for (auto pass : {dump, report, export_perfetto}) {
    try {
      pass(path);
    } catch (const modrace::Error&) {
      return 0;  // rejected cleanly (the header): every pass would say the same
    }
  }
  return 0;
}
