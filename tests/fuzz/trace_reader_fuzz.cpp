// SPDX-License-Identifier: GPL-2.0-only
//
// libFuzzer target for the trace reader: any input must either be rejected with modrace::Error
// or stream to its end (possibly marked truncated). Crashes, hangs, leaks and big allocations
// are bugs. Built with -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which turns off the block
// checksum so the fuzzer reaches the decoders behind it.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "events/error.h"
#include "trace/event_format.h"
#include "trace/trace_file.h"

namespace {
std::string scratch_path() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/modrace-fuzz-" + std::to_string(::getpid()) +
         ".mrtrace";
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The reader works on files (pread, fstat); a per-process scratch file keeps that path honest.
  static const std::string path = scratch_path();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    auto src = modrace::open_trace(path);
    modrace::ModuleTracker modules;
    modrace::FrameFormatter frames({});
    modrace::EventFormatContext ctx{modules, frames, src->symbols().now()};
    modrace::Event ev;
    while (src->next(ev)) {
      modules.observe(ev);
      ctx.symbols = src->symbols().at(src->event_epoch());
      if (!modrace::payload_matches_kind(ev)) std::abort();
      // Exercise the renderers on whatever the reader let through.
      (void)modrace::format_event_line(ev, ctx);
      (void)modrace::event_to_json(ev, ctx).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
      for (uint64_t a : src->stacks().frames(ev.stack)) (void)ctx.frame(a);
    }
  } catch (const modrace::Error&) {
    // Rejected cleanly: fine.
  }
  return 0;
}
