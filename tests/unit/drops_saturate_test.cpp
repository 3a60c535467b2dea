// SPDX-License-Identifier: GPL-2.0-only
//
// Drop counters come from the kernel and from trace files, which may be crafted: their sums
// saturate instead of wrapping to "no drops", and a saturated counter makes the report
// incomplete (issue 18 item 3).
#include <gtest/gtest.h>

#include "event_builder.h"
#include "events/trace_meta.h"
#include "trace/trace_file.h"
#include "trace_test_util.h"

namespace modrace {
namespace {

constexpr uint64_t kHalf = uint64_t{1} << 63;

DropCounters wrapping_lock_drops() {
  DropCounters d;
  d[DropCause::lock_table] = kHalf;
  d[DropCause::task_storage] = kHalf;  // the two sum to 2^64: 0 when wrapped
  return d;
}

TEST(DropsSaturate, SumsDoNotWrapToZero) {
  DropCounters d = wrapping_lock_drops();
  EXPECT_EQ(d.total(), UINT64_MAX);
  EXPECT_EQ(d.lost_lock_info(), UINT64_MAX);
  EXPECT_TRUE(d.saturated());
  d[DropCause::stack] = 1;
  EXPECT_EQ(d.total(), UINT64_MAX);
}

TEST(DropsSaturate, AddSaturates) {
  DropCounters d;
  d.add(DropCause::ringbuf_full, UINT64_MAX - 1);
  EXPECT_FALSE(d.saturated());
  d.add(DropCause::ringbuf_full, 5);
  EXPECT_EQ(d.lost_events(), UINT64_MAX);
  EXPECT_TRUE(d.saturated());
  EXPECT_EQ(saturating_add(2, 3), 5u);
}

TEST(DropsSaturate, OneSaturatedCounterIsSaturated) {
  DropCounters d;
  d[DropCause::lock_recursion_irq] = UINT64_MAX;  // informational, but the count is unknown
  EXPECT_TRUE(d.saturated());
  EXPECT_FALSE(DropCounters{}.saturated());
}

// A seed race whose trace claims wrapping lock drops: lock information is lost (the verdict is
// unverified, not a finding) and the report is incomplete; so it is read back from a file.
TEST(DropsSaturate, ReportIsIncompleteWithLockInformationLost) {
  test::EventBuilder t;
  auto drv = t.load("seed_drv");
  t.as(100, "cat")
      .try_get(drv, t.fn("seed_open"), test::EventBuilder::locks({t.mutex("misc_mtx")}));
  t.unload(drv, {t.mutex("seed_lock")});
  TraceMeta meta;
  meta.drops = wrapping_lock_drops();
  Report r = t.analyze(meta);
  EXPECT_FALSE(r.complete);
  EXPECT_FALSE(r.lock_info_complete);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_FALSE(r.unverified.empty());

  test::TempFile f("drops");
  {
    auto w = TraceWriter::create(f.path(), test::sample_meta());
    w->set_drops(wrapping_lock_drops());
    w->close();
  }
  auto src = open_trace(f.path());
  Event ev;
  while (src->next(ev)) {
  }
  EXPECT_EQ(src->meta().drops.total(), UINT64_MAX);
  EXPECT_TRUE(src->meta().drops.saturated());
}

}  // namespace
}  // namespace modrace
