// SPDX-License-Identifier: GPL-2.0-only
//
// `dump --json` writes each event's JSON straight to text (trace/json_object.h): the text must be
// what nlohmann::json prints for the same object, keys in its order and strings in its escapes,
// for every event kind and for names that are not plain ASCII.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "trace/event_format.h"
#include "trace/json_object.h"
#include "trace/trace_file.h"
#include "trace_test_util.h"

using namespace modrace;
using nlohmann::json;

namespace {
std::string canonical(const std::string& text) {
  return json::parse(text).dump(-1, ' ', false, json::error_handler_t::replace);
}
}  // namespace

TEST(EventJson, ObjectIsWhatNlohmannPrints) {
  // Strings that need escaping or replacing, keys out of order, integers at their limits.
  const std::string strings[] = {"plain",        "a \"quote\"", "back\\slash",
                                 "ctl\x01\n\t",  "del\x7f",     "utf-8 \xc3\xa9 ok",
                                 "bad \xff\xfe", "cut \xc3",    ""};
  JsonObject o;
  json j;
  const char* keys[] = {"s8", "s7", "s6", "s5", "s4", "s3", "s2", "s1", "s0"};
  for (int i = 0; i < 9; i++) {
    o.str(keys[i], strings[i]);
    j[keys[i]] = strings[i];
  }
  o.num("min", std::numeric_limits<int64_t>::min());
  j["min"] = std::numeric_limits<int64_t>::min();
  o.num("max", std::numeric_limits<uint64_t>::max());
  j["max"] = std::numeric_limits<uint64_t>::max();
  o.num("small", uint16_t{7});
  j["small"] = uint16_t{7};
  o.boolean("yes", true);
  j["yes"] = true;
  o.boolean("no", false);
  j["no"] = false;
  o.raw("nested", R"({"a":[1,"x"]})");
  j["nested"] = {{"a", {1, "x"}}};
  EXPECT_EQ(o.text(), j.dump(-1, ' ', false, json::error_handler_t::replace));
  EXPECT_EQ(JsonObject().text(), "{}");
}

TEST(EventJson, EveryKindIsCanonicalJsonWithItsFields) {
  StackTable stacks;
  auto events = test::every_kind_events(stacks);
  SymbolTable syms;
  test::add_sample_symbols(syms);
  ModuleTracker modules;
  FrameFormatter frames({});
  EventFormatContext ctx{modules, frames, syms.now()};
  bool widened = false, capped = false, named_module = false;
  for (const auto& ev : events) {
    modules.observe(ev);
    JsonObject o;
    add_event_json(ev, ctx, o);
    std::string line = o.text();
    ASSERT_EQ(line, canonical(line)) << line;
    auto j = json::parse(line);
    EXPECT_EQ(j.at("kind"), to_string(ev.kind));
    EXPECT_EQ(j.at("ts_ns"), ev.ts_ns);
    EXPECT_EQ(j.at("comm"), std::string(ev.comm_view()));
    if (const auto* r = std::get_if<RefcountOp>(&ev.data)) {
      EXPECT_EQ(j.at("locks").at("held").size(), r->locks.nr_locks);
      EXPECT_EQ(j.at("caller_ip"), fmt::format("0x{:x}", r->caller_ip));
      widened |= j.contains("widened_us");
      capped |= j.contains("widen_capped");
      named_module |= j.contains("module_name");
    }
  }
  EXPECT_TRUE(widened && capped && named_module);
}

// Names from a real-shaped trace that are not UTF-8, with control bytes and quotes
// (tests/cli/traces/hostile.mrtrace): escaped and replaced exactly as nlohmann does.
TEST(EventJson, HostileNamesAreEscapedAsNlohmannDoes) {
  auto src = open_trace(std::string(MODRACE_SOURCE_DIR) + "/tests/cli/traces/hostile.mrtrace");
  ModuleTracker modules;
  FrameFormatter frames({});
  EventFormatContext ctx{modules, frames, src->symbols().now()};
  Event ev;
  int escaped = 0, n = 0;
  while (src->next(ev)) {
    modules.observe(ev);
    ctx.symbols = src->symbols().at(src->event_epoch());
    JsonObject o;
    add_event_json(ev, ctx, o);
    std::string line = o.text();
    ASSERT_EQ(line, canonical(line)) << line;
    escaped +=
        line.find("\\u") != std::string::npos || line.find("\xef\xbf\xbd") != std::string::npos;
    n++;
  }
  EXPECT_GT(n, 5);
  EXPECT_GT(escaped, 0);  // the trace does carry names that need escaping
}
