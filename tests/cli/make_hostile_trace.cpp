// SPDX-License-Identifier: GPL-2.0-only
//
// Writes a trace whose strings are hostile, as an unprivileged process or a crafted file makes
// them: a process name with an escape sequence, a newline and a byte that is not UTF-8
// (prctl(PR_SET_NAME) takes any bytes), and module, symbol, lock and host names likewise. The
// stream holds an unprotected get by that process, so every name reaches every report section.
// With "drops": the trace also claims lock drops that sum to 2^64 (zero if wrapped).
// The committed tests/cli/traces/ were made with it:
//   make_hostile_trace tests/cli/traces/hostile.mrtrace
//   make_hostile_trace tests/cli/traces/hostile-drops.mrtrace drops
// usage: make_hostile_trace FILE [drops]
#include <cstdio>
#include <span>

#include "event_builder.h"
#include "trace/trace_file.h"
#include "trace_test_util.h"

using namespace modrace;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s FILE [drops]\n", argv[0]);
    return 2;
  }
  test::EventBuilder t;
  test::Mod drv = t.load("drv\x1b[2J\xff");
  uint64_t open = t.fn("seed_open\n[ 1.0] forged", 0x2c);
  uint64_t mod_open = t.mod_fn(drv, "drv_open\x1b]0;title\x07\xc0\xaf", 0x100);
  t.as(100, "cat\x1b[31m\nX\xfe\x7f").stack({mod_open, open, t.fn("chrdev_open")});
  t.try_get(drv, open, test::EventBuilder::locks({t.mutex("misc\rmtx\xc2\x9b")}));
  t.unload(drv, {t.mutex("seed_lock")});

  TraceMeta meta = test::sample_meta();
  meta.hostname = "host\x1b]0;pwned\x07\xe2\x82";
  meta.kernel_release = "6.1.0\nmodrace: forged line";
  meta.features.push_back("fake\x1b[0m");
  auto w = TraceWriter::create(argv[1], meta);
  auto src = t.source(meta);  // its stack table
  const auto& timeline = t.symbol_timeline();
  const auto& events = t.events();
  size_t next = 0;
  for (size_t i = 0; i <= events.size(); i++) {
    for (; next < timeline.size() && timeline[next].first <= i; next++)
      w->add_symbols(std::span(&timeline[next].second, 1));
    if (i < events.size()) w->write(events[i], src.stacks());
  }
  if (argc == 3) {
    DropCounters d;
    d[DropCause::lock_table] = d[DropCause::task_storage] = uint64_t{1} << 63;
    w->set_drops(d);
  }
  w->close();
  return 0;
}
