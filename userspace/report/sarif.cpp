// SPDX-License-Identifier: GPL-2.0-only
//
// SARIF 2.1.0 for GitHub code scanning. One rule per modrace rule id; one result per finding
// (and per outstanding reference, level "note"). Locations: the caller's function as a logical
// location always; a physical location with file:line when DWARF named the site (--ko /
// --modules-dir), otherwise the module object ("seed_drv.ko", "vmlinux") without a region, so
// code scanning still has an artifact to attach the alert to.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/render.h"
#include "version.h"

namespace modrace {

namespace {

using nlohmann::json;

std::string_view sarif_level(Severity s) {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "note";
  }
  return "none";
}

std::string pascal(std::string_view id) {  // "unprotected-get" -> "UnprotectedGet"
  std::string s;
  bool up = true;
  for (char c : id) {
    if (c == '-') {
      up = true;
      continue;
    }
    s += up ? static_cast<char>(c - 'a' + 'A') : c;
    up = false;
  }
  return s;
}

// The frame that names the site: the first stack frame in the caller's function (the stack
// starts inside try_module_get/module_put), else the first frame.
const Frame* site_frame(const Finding& f) {
  for (const auto& fr : f.stack)
    if (!f.function.empty() && fr.function == f.function) return &fr;
  return f.stack.empty() ? nullptr : &f.stack.front();
}

json location(std::string_view function, std::string_view module, std::string_view site,
              const Frame* fr) {
  json loc;
  std::string mod(module);
  if (fr && !fr->file.empty()) {
    loc["physicalLocation"] = {{"artifactLocation", {{"uri", fr->file}}},
                               {"region", {{"startLine", std::max<uint32_t>(fr->line, 1)}}}};
  } else {
    std::string uri = fr && !fr->module.empty() ? fr->module + ".ko" : "vmlinux";
    loc["physicalLocation"] = {{"artifactLocation", {{"uri", uri}}}};
  }
  json logical = {{"kind", "function"},
                  {"name", function.empty() ? std::string(site) : std::string(function)},
                  {"fullyQualifiedName", std::string(site)}};
  loc["logicalLocations"] = json::array({logical});
  (void)mod;
  return loc;
}

}  // namespace

std::string render_sarif(const Report& r) {
  json rules = json::array();
  for (int i = 0; i < kRuleCount; i++) {
    auto rule = static_cast<Rule>(i);
    rules.push_back({{"id", to_string(rule)},
                     {"name", pascal(to_string(rule))},
                     {"shortDescription", {{"text", rule_summary(rule)}}},
                     {"fullDescription", {{"text", rule_summary(rule)}}},
                     {"helpUri", fmt::format("https://github.com/modrace/modrace/blob/main/docs/"
                                             "protocol.md#{}",
                                             to_string(rule))},
                     {"defaultConfiguration", {{"level", sarif_level(severity_of(rule))}}},
                     {"properties", {{"tags", {"kernel", "module", "refcount", "race"}}}}});
  }

  json results = json::array();
  for (const auto& f : r.findings) {
    std::string text = f.message;
    if (!f.fix.empty()) text += " Fix: " + f.fix;
    if (f.widened.gets) text += " Widened: " + widening_text(f.widened) + ".";
    json res = {
        {"ruleId", to_string(f.rule)},
        {"ruleIndex", static_cast<int>(f.rule)},
        {"level", sarif_level(f.severity)},
        {"message", {{"text", text}}},
        {"locations", json::array({location(f.function, f.module, f.site, site_frame(f))})},
        {"partialFingerprints", {{"modraceFindingId/v1", f.id}}},
        {"properties", {{"module", f.module}, {"site", f.site}, {"count", f.count}, {"id", f.id}}}};
    if (f.widened.gets) {
      res["properties"]["widenedGets"] = f.widened.gets;
      res["properties"]["widenedHits"] = f.widened.hits;
      res["properties"]["confirmed"] = f.widened.confirmed();
    }
    if (!f.stack.empty()) {
      json frames = json::array();
      for (const auto& fr : f.stack) {
        json loc = {{"message", {{"text", fr.text}}}};
        if (!fr.file.empty())
          loc["physicalLocation"] = {{"artifactLocation", {{"uri", fr.file}}},
                                     {"region", {{"startLine", std::max<uint32_t>(fr.line, 1)}}}};
        if (!fr.function.empty())
          loc["logicalLocations"] = json::array({{{"kind", "function"}, {"name", fr.function}}});
        frames.push_back({{"location", loc}});
      }
      res["stacks"] = json::array({{{"message", {{"text", "call trace"}}}, {"frames", frames}}});
    }
    results.push_back(std::move(res));
  }
  for (const auto& o : r.outstanding) {
    results.push_back(
        {{"ruleId", to_string(Rule::outstanding)},
         {"ruleIndex", static_cast<int>(Rule::outstanding)},
         {"level", "note"},
         {"message",
          {{"text", fmt::format("{} reference(s) on {} taken at {} were still held "
                                "when the trace ended.",
                                o.count, o.module, o.site)}}},
         {"locations", json::array({location(o.function, o.module, o.site, nullptr)})},
         {"partialFingerprints", {{"modraceFindingId/v1", o.id}}},
         {"properties", {{"module", o.module}, {"site", o.site}, {"count", o.count}}}});
  }

  json run = {
      {"tool",
       {{"driver",
         {{"name", "modrace"},
          {"version", MODRACE_VERSION},
          {"semanticVersion", MODRACE_VERSION},
          {"informationUri", "https://github.com/modrace/modrace"},
          {"rules", rules}}}}},
      {"results", results},
      {"invocations",
       json::array(
           {{{"executionSuccessful", true},
             {"properties",
              {{"events", r.events}, {"lost_events", r.lost_events}, {"complete", r.complete}}}}})},
  };
  json notes = json::array();
  for (const auto& why : r.incomplete_why)
    notes.push_back({{"level", "warning"}, {"message", {{"text", why}}}});
  for (const auto& m : r.missing_symbols)
    notes.push_back({{"level", "warning"}, {"message", {{"text", "no symbols: " + m}}}});
  if (!notes.empty()) run["invocations"][0]["toolExecutionNotifications"] = notes;
  json root = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
               {"version", "2.1.0"},
               {"runs", json::array({run})}};
  // Invalid UTF-8 from the trace becomes U+FFFD, as in the JSON report (docs/trace-format.md).
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace modrace
