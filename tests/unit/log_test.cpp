// SPDX-License-Identifier: GPL-2.0-only
//
// events/log.h: the prefixes and the -v gate.
#include "events/log.h"

#include <gtest/gtest.h>

namespace modrace {
namespace {

TEST(Log, VerboseOnlyWhenEnabled) {
  log::set_verbose(false);
  testing::internal::CaptureStderr();
  log::verbose("start-up: {:.2f} s", 1.234);
  log::verbose_passthrough("libbpf: ", "loading\n");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  log::set_verbose(true);
  testing::internal::CaptureStderr();
  log::verbose("start-up: {:.2f} s", 1.234);
  log::verbose_passthrough("libbpf: ", "loading\n");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "modrace: start-up: 1.23 s\nlibbpf: loading\n");
  log::set_verbose(false);
}

TEST(Log, WarnAndBugAlways) {
  log::set_verbose(false);
  testing::internal::CaptureStderr();
  log::warn("{} lost", 3);
  log::bug("{} malformed ring-buffer records skipped", 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "modrace: WARNING: 3 lost\nmodrace: BUG: 2 malformed ring-buffer records skipped\n");
}

}  // namespace
}  // namespace modrace
