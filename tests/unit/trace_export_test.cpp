// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "trace/perfetto.h"
#include "trace_test_util.h"

using namespace modrace;

TEST(TraceExport, PerfettoJsonHasTracksCountersSpansAndFindings) {
  StackTable stacks;
  auto events = test::every_kind_events(stacks);
  SymbolTable syms;
  test::add_sample_symbols(syms);
  VectorSource src(events, test::sample_meta(), stacks, syms);
  PerfettoOptions opts;
  opts.findings.push_back({5000, "unprotected try_module_get", {{"module", "seed_core"}}});
  std::ostringstream out;
  uint64_t n = export_perfetto(src, out, opts);

  auto j = nlohmann::json::parse(out.str());  // throws on malformed JSON
  const auto& evs = j.at("traceEvents");
  EXPECT_EQ(evs.size(), n);
  std::map<std::string, int> by_ph;
  int begins = 0, ends = 0, findings = 0, counters = 0;
  for (const auto& e : evs) {
    by_ph[e.at("ph").get<std::string>()]++;
    if (e["ph"] == "b") begins++;
    if (e["ph"] == "e") ends++;
    if (e.value("cat", "") == "finding") {
      findings++;
      EXPECT_EQ(e.at("name"), "unprotected try_module_get");
      EXPECT_EQ(e.at("args").at("module"), "seed_core");
    }
    if (e["ph"] == "C") {
      counters++;
      EXPECT_EQ(e.at("name"), "refcnt seed_core");  // named from the module_load event
    }
  }
  EXPECT_EQ(by_ph["i"], static_cast<int>(events.size()) + 1);
  EXPECT_EQ(findings, 1);
  EXPECT_GT(counters, 0);
  EXPECT_GT(begins, 0);
  EXPECT_EQ(begins, ends);  // every lock span is closed
  EXPECT_GT(by_ph["M"], 0);
}

// Module symbols captured mid-trace are visible to the reader from the next event on.
TEST(TraceExport, SymbolsArrivingMidStreamAreUsable) {
  test::TempFile f("midsyms");
  StackTable stacks;
  auto events = test::every_kind_events(stacks);
  {
    auto w = TraceWriter::create(f.path(), test::sample_meta());
    w->write(events[0], stacks);
    std::vector<KernelSymbol> mod{{0xffffffffc0000000ull, 't', "seed_open", "seed_core"}};
    w->add_symbols(mod);
    w->write(events[1], stacks);
    w->close();
  }
  auto src = open_trace(f.path());
  Event ev;
  ASSERT_TRUE(src->next(ev));
  ASSERT_EQ(ev.kind, EventKind::module_load);  // seed_core's text, its symbols not yet
  EXPECT_EQ(src->symbols().now().format(0xffffffffc0000010ull), ".text+0x10 [seed_core]");
  ASSERT_TRUE(src->next(ev));
  EXPECT_EQ(src->symbols().now().format(0xffffffffc0000010ull), "seed_open+0x10 [seed_core]");
}
