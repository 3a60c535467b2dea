// SPDX-License-Identifier: GPL-2.0-only
//
// Measures bytes/event on disk for typical refcount traffic (printed, not asserted against a
// tight bound: the figure goes into docs/performance.md).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "trace/trace_file.h"
#include "trace_test_util.h"

using namespace modrace;

TEST(TraceSize, BytesPerEventForRefcountTraffic) {
  test::TempFile f("size");
  StackTable stacks;
  std::mt19937 rng(1);
  // A handful of modules, tasks, call sites and lock contexts, as a busy open/close workload
  // produces: get/put pairs on a few modules from a few call paths.
  std::vector<uint64_t> modules{0xffffffffc0100000ull, 0xffffffffc0200000ull,
                                0xffffffffc0300000ull};
  std::vector<std::vector<uint64_t>> paths;
  for (int p = 0; p < 12; p++) {
    std::vector<uint64_t> fr;
    for (int d = 0; d < 14; d++) fr.push_back(0xffffffff81000000ull + rng() % 0x800000);
    paths.push_back(fr);
  }
  std::vector<LockContext> ctxs;
  for (int v = 0; v < 6; v++) ctxs.push_back(test::sample_locks(v));
  const int n = 500000;
  uint64_t ts = 1'000'000'000;
  std::vector<int32_t> refcnt(modules.size(), 1);
  auto w = TraceWriter::create(f.path(), test::sample_meta());
  for (int i = 0; i < n; i++) {
    Event ev;
    size_t m = rng() % modules.size();
    bool get = (i % 2) == 0;
    ev.kind = get ? (rng() % 4 ? EventKind::try_module_get : EventKind::module_get)
                  : EventKind::module_put;
    ts += 200 + rng() % 20000;
    ev.ts_ns = ts;
    ev.cpu = rng() % 8;
    uint32_t task = rng() % 16;
    ev.pid = 1000 + task;
    ev.tid = 1000 + task;
    ev.set_comm(task % 2 ? "cat" : "stress-ng");
    size_t path = rng() % paths.size();
    ev.stack = stacks.intern(paths[path]);
    refcnt[m] += get ? 1 : -1;
    ev.data = RefcountOp{modules[m], paths[path][0], refcnt[m], true, ctxs[path % ctxs.size()]};
    w->write(ev, stacks);
    if (i % 20000 == 0) w->flush();  // about once a second at 20k events/s
  }
  w->close();
  double bpe = static_cast<double>(w->bytes_written()) / n;
  std::printf("[ measure ] %d refcount events, %llu bytes, %.2f bytes/event\n", n,
              static_cast<unsigned long long>(w->bytes_written()), bpe);
  RecordProperty("bytes_per_event", std::to_string(bpe));
  EXPECT_LT(bpe, 64.0);  // sanity only: an encoding regression, not a performance target
}
