// SPDX-License-Identifier: GPL-2.0-only
//
// Replays the fuzz seed corpus and every input the fuzzer ever crashed on
// (tests/fuzz/regressions/) through the reader: each must be rejected with modrace::Error or
// stream to its end. Most useful in a -DMODRACE_SANITIZE=ON build.
#include <gtest/gtest.h>

#include <filesystem>

#include "events/error.h"
#include "trace/event_format.h"
#include "trace/trace_file.h"

using namespace modrace;
namespace fs = std::filesystem;

TEST(TraceFuzzRegress, SeedsAndRegressionsReadCleanly) {
  int files = 0;
  for (const char* sub : {"tests/fuzz/corpus", "tests/fuzz/regressions"}) {
    fs::path dir = fs::path(MODRACE_SOURCE_DIR) / sub;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_regular_file() || entry.path().filename().string().front() == '.') continue;
      files++;
      SCOPED_TRACE(entry.path().string());
      try {
        auto src = open_trace(entry.path().string());
        ModuleTracker modules;
        FrameFormatter frames({});
        EventFormatContext ctx{modules, frames, src->symbols().now()};
        Event ev;
        uint64_t n = 0;
        while (src->next(ev)) {
          modules.observe(ev);
          ctx.symbols = src->symbols().at(src->event_epoch());
          EXPECT_TRUE(payload_matches_kind(ev));
          (void)format_event_line(ev, ctx);
          n++;
        }
        bool valid = entry.path().filename().string().rfind("valid-", 0) == 0;
        if (valid) {
          EXPECT_FALSE(src->meta().truncated) << src->meta().truncation_reason;
        }
        (void)n;
      } catch (const Error&) {
      }
    }
  }
  EXPECT_GT(files, 0);
}
