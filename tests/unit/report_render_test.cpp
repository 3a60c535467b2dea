// SPDX-License-Identifier: GPL-2.0-only
//
// Shape of the text, JSON and SARIF reports, and the exit-status policy.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "event_builder.h"
#include "events/error.h"
#include "report/render.h"

using namespace modrace;
using namespace modrace::test;
using nlohmann::json;

namespace {

Report sample(TraceMeta meta = {}) {
  EventBuilder t;
  auto drv = t.load("seed_drv");
  t.as(100, "cat").try_get(drv, t.fn("seed_open", 0x2c));  // unprotected-get
  t.put(drv, t.fn("seed_release"));
  t.try_get(drv, t.mod_fn(drv, "seed_drv_self", 0x100));  // self-get (warning)
  t.as(101, "cat")
      .try_get(drv, t.fn("misc_open", 0x40), EventBuilder::locks({t.mutex("misc_mtx")}));
  t.put(drv, t.fn("seed_release"));
  t.as(200, "rmmod").unload(drv, {t.mutex("misc_mtx")});
  auto b = t.load("seed_b");
  t.as(300, "cat").try_get(b, t.fn("b_open"), EventBuilder::rcu());  // outstanding, unverified
  return t.analyze(meta);
}

}  // namespace

TEST(TextReport, SplatStyleBlocks) {
  Report r = sample();
  std::string s = render_text(r);
  EXPECT_NE(s.find("BUG: modrace: unprotected-get on module seed_drv"), std::string::npos) << s;
  EXPECT_NE(s.find("WARNING: modrace: self-get on module seed_drv"), std::string::npos);
  EXPECT_NE(s.find("try_module_get by task cat/100"), std::string::npos);
  EXPECT_NE(s.find("no locks held by cat/100"), std::string::npos);
  EXPECT_NE(s.find("(misc_mtx){mutex}"), std::string::npos);
  EXPECT_NE(s.find("fix: take misc_mtx around the lookup"), std::string::npos);
  EXPECT_NE(s.find("protected(misc_mtx)"), std::string::npos);
  EXPECT_NE(s.find("outstanding references"), std::string::npos);
  EXPECT_NE(s.find("modrace: 1 error, 1 warning, 1 outstanding"), std::string::npos);
  EXPECT_EQ(s.find("\033["), std::string::npos);  // no colour unless asked
  EXPECT_EQ(s.find("INCOMPLETE"), std::string::npos);
  std::string c = render_text(r, {.colour = true});
  EXPECT_NE(c.find("\033[1;31mBUG:"), std::string::npos);
}

TEST(TextReport, IncompleteSaysSoAtTheTop) {
  TraceMeta meta;
  meta.drops[DropCause::ringbuf_full] = 12;
  std::string s = render_text(sample(meta));
  auto warn = s.find("INCOMPLETE");
  ASSERT_NE(warn, std::string::npos);
  EXPECT_LT(warn, s.find("get sites:"));
  EXPECT_NE(s.find("12 events were lost"), std::string::npos);
}

TEST(JsonReport, Shape) {
  Report r = sample();
  json j = json::parse(render_json(r));
  EXPECT_EQ(j["events"], r.events);
  EXPECT_EQ(j["lost_events"], 0);
  EXPECT_EQ(j["complete"], true);
  ASSERT_EQ(j["findings"].size(), 2u);
  const json& f = j["findings"][0];
  for (const char* k : {"id", "rule", "severity", "module", "site", "stack", "count", "locks_held",
                        "message", "fix", "unload_locks", "task"})
    EXPECT_TRUE(f.contains(k)) << k;
  EXPECT_EQ(f["rule"], "unprotected-get");
  EXPECT_EQ(f["severity"], "error");
  EXPECT_EQ(f["module"], "seed_drv");
  EXPECT_EQ(f["site"], "seed_open+0x2c");
  EXPECT_EQ(f["count"], 1);
  EXPECT_TRUE(f["locks_held"].is_array());
  EXPECT_EQ(j["findings"][1]["rule"], "self-get");
  EXPECT_EQ(j["findings"][1]["severity"], "warning");

  std::map<std::string, json> sites;
  for (const auto& s : j["sites"]) sites[s["function"].get<std::string>()] = s;
  EXPECT_EQ(sites["seed_open"]["verdict"], f["id"]);
  EXPECT_EQ(sites["misc_open"]["verdict"], "protected");
  EXPECT_EQ(sites["misc_open"]["protected_by"], "misc_mtx");
  EXPECT_EQ(sites["misc_open"]["locks_held"], json::array({"misc_mtx"}));
  EXPECT_EQ(sites["b_open"]["verdict"], "unverified");
  ASSERT_EQ(j["outstanding"].size(), 1u);
  EXPECT_EQ(j["outstanding"][0]["module"], "seed_b");
  EXPECT_EQ(j["outstanding"][0]["count"], 1);
}

TEST(JsonReport, IncompleteFlag) {
  TraceMeta meta;
  meta.drops[DropCause::ringbuf_full] = 3;
  json j = json::parse(render_json(sample(meta)));
  EXPECT_EQ(j["complete"], false);
  EXPECT_EQ(j["lost_events"], 3);
  EXPECT_FALSE(j["incomplete_reasons"].empty());
  EXPECT_EQ(j["findings"].size(), 1u);  // only the self-get survives
  EXPECT_EQ(j["unverified"].size(), 1u);
}

TEST(JsonReport, InvalidUtf8FromTheTraceBecomesReplacementCharacters) {
  // A process names itself, and a module's name is whatever was built: both reach the reports as
  // the kernel recorded them. JSON carries both, SARIF the module's.
  EventBuilder t;
  auto drv = t.load(
      "seed\xfe"
      "drv");
  t.as(100,
       "c\xff\xfe"
       "at")
      .try_get(drv, t.fn("seed_open", 0x2c));
  t.as(200, "rmmod").unload(drv, {});
  Report r = t.analyze();
  const std::string fffd = "\xEF\xBF\xBD";
  std::string j, s;
  ASSERT_NO_THROW(j = render_json(r));
  ASSERT_NO_THROW(s = render_sarif(r));
  EXPECT_NO_THROW((void)json::parse(j));
  EXPECT_NO_THROW((void)json::parse(s));
  EXPECT_NE(j.find("c" + fffd + fffd + "at"), std::string::npos) << j;
  EXPECT_NE(j.find("seed" + fffd + "drv"), std::string::npos) << j;
  EXPECT_NE(s.find("seed" + fffd + "drv"), std::string::npos) << s;
}

TEST(SarifReport, Shape) {
  Report r = sample();
  json j = json::parse(render_sarif(r));
  EXPECT_EQ(j["version"], "2.1.0");
  EXPECT_TRUE(j["$schema"].get<std::string>().find("sarif") != std::string::npos);
  ASSERT_EQ(j["runs"].size(), 1u);
  const json& run = j["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "modrace");
  std::vector<std::string> ids;
  for (const auto& rule : run["tool"]["driver"]["rules"]) {
    ids.push_back(rule["id"]);
    EXPECT_TRUE(rule.contains("shortDescription"));
    EXPECT_TRUE(rule["defaultConfiguration"].contains("level"));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"unprotected-get", "self-get", "self-put", "ref-leak",
                                           "get-while-going", "put-underflow", "outstanding",
                                           "preempt-only-get"}));
  const json& results = run["results"];
  ASSERT_EQ(results.size(), 3u);  // 2 findings + 1 outstanding note
  EXPECT_EQ(results[0]["ruleId"], "unprotected-get");
  EXPECT_EQ(results[0]["level"], "error");
  EXPECT_EQ(results[1]["level"], "warning");
  EXPECT_EQ(results[2]["level"], "note");
  for (const auto& res : results) {
    EXPECT_EQ(run["tool"]["driver"]["rules"][res["ruleIndex"].get<int>()]["id"], res["ruleId"]);
    EXPECT_FALSE(res["message"]["text"].get<std::string>().empty());
    ASSERT_EQ(res["locations"].size(), 1u);
    const json& loc = res["locations"][0];
    EXPECT_TRUE(loc["physicalLocation"]["artifactLocation"].contains("uri"));
    EXPECT_EQ(loc["logicalLocations"][0]["kind"], "function");
    EXPECT_TRUE(res["partialFingerprints"].contains("modraceFindingId/v1"));
  }
  EXPECT_EQ(results[0]["locations"][0]["logicalLocations"][0]["name"], "seed_open");
}

TEST(SarifReport, PhysicalLocationFromDwarf) {
  Report r = sample();
  r.findings[0].stack = {Frame{0x1, "seed_open+0x2c (seed_core.c:88)", "seed_open", "seed_core",
                               "drivers/seed/seed_core.c", 88}};
  json j = json::parse(render_sarif(r));
  const json& pl = j["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
  EXPECT_EQ(pl["artifactLocation"]["uri"], "drivers/seed/seed_core.c");
  EXPECT_EQ(pl["region"]["startLine"], 88);
}

TEST(ExitStatus, FailOnLevels) {
  Report r = sample();  // 1 error, 1 warning, 1 outstanding (info)
  EXPECT_EQ(exit_status_for(r, Severity::error), kExitFindings);
  EXPECT_EQ(exit_status_for(r, Severity::warning), kExitFindings);
  EXPECT_EQ(exit_status_for(r, Severity::info), kExitFindings);
  EXPECT_EQ(exit_status_for(r, std::nullopt), kExitOk);

  Report clean = EventBuilder().analyze();
  EXPECT_EQ(exit_status_for(clean, Severity::info), kExitOk);

  Report warn_only = sample();
  warn_only.findings.erase(warn_only.findings.begin());
  warn_only.outstanding.clear();
  EXPECT_EQ(exit_status_for(warn_only, Severity::error), kExitOk);
  EXPECT_EQ(exit_status_for(warn_only, Severity::warning), kExitFindings);
}

TEST(ExitStatus, ParseFailOn) {
  EXPECT_EQ(parse_fail_on("error"), Severity::error);
  EXPECT_EQ(parse_fail_on("warning"), Severity::warning);
  EXPECT_EQ(parse_fail_on("info"), Severity::info);
  EXPECT_EQ(parse_fail_on("none"), std::nullopt);
  try {
    parse_fail_on("fatal");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
}

TEST(FindingText, LiveBlockMatchesReportBlock) {
  Report r = sample();
  std::string one = render_finding_text(r.findings[0]);
  EXPECT_NE(render_text(r).find(one), std::string::npos);
}
