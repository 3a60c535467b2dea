// SPDX-License-Identifier: GPL-2.0-only
//
// The one-line drop text of the recorder's status (DropCounters::describe) and the seconds
// format of `info` and the text report (seconds_text).
#include <gtest/gtest.h>

#include "events/clock.h"
#include "events/trace_meta.h"

namespace modrace {
namespace {

TEST(DropsText, NoneIsZero) { EXPECT_EQ(DropCounters{}.describe(), "0"); }

TEST(DropsText, LossesByCauseThenInformational) {
  DropCounters d;
  d[DropCause::ringbuf_full] = 3;
  d[DropCause::lock_table] = 1;
  EXPECT_EQ(d.describe(), "ringbuf_full=3 lock_table=1");
  d[DropCause::lock_recursion_irq] = 5;
  EXPECT_EQ(d.describe(), "ringbuf_full=3 lock_table=1 (lock_recursion_irq=5, not a loss)");
}

TEST(DropsText, OnlyInformationalStartsWithZero) {
  DropCounters d;
  d[DropCause::lock_recursion_irq] = 5;
  EXPECT_EQ(d.describe(), "0 (lock_recursion_irq=5, not a loss)");
}

// A marked task-storage loss is the marked tasks' alone: counted apart from the losses.
TEST(DropsText, MarkedTaskStorageIsNotATraceWideLoss) {
  DropCounters d;
  d[DropCause::task_storage_marked] = 2;
  EXPECT_EQ(d.total(), 0u);
  EXPECT_EQ(d.lost_lock_info(), 0u);
  EXPECT_EQ(d.describe(), "0 (task_storage_marked=2, only those tasks' gets unverified)");
  d[DropCause::task_storage] = 1;
  EXPECT_EQ(d.lost_lock_info(), 1u);
}

TEST(SecondsText, MicrosecondsPadded) {
  EXPECT_EQ(seconds_text(0), "0.000000");
  EXPECT_EQ(seconds_text(1), "0.000000");
  EXPECT_EQ(seconds_text(1234), "0.000001");
  EXPECT_EQ(seconds_text(12345678901ull), "12.345678");
  EXPECT_EQ(seconds_text(18446744073709551615ull), "18446744073.709551");
}

}  // namespace
}  // namespace modrace
