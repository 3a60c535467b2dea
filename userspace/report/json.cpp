// SPDX-License-Identifier: GPL-2.0-only
//
// JSON report; the schema is documented in docs/protocol.md ("JSON report"). Addresses are hex
// strings: u64 values do not survive JSON numbers in most consumers.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/render.h"

namespace modrace {

namespace {

using nlohmann::json;

std::string hex(uint64_t v) { return fmt::format("0x{:x}", v); }

json frame_json(const Frame& f) {
  json j = {{"addr", hex(f.addr)}, {"text", f.text}};
  if (!f.function.empty()) j["function"] = f.function;
  if (!f.module.empty()) j["module"] = f.module;
  if (!f.file.empty()) {
    j["file"] = f.file;
    j["line"] = f.line;
  }
  return j;
}

json lock_json(const LockDesc& l) {
  json j = {{"name", l.name},
            {"kind", to_string(l.kind)},
            {"addr", hex(l.addr)},
            {"static", l.is_static}};
  if (!l.acquired_at.empty()) j["acquired_at"] = l.acquired_at;
  if (!l.via.empty()) j["via"] = l.via;
  if (l.module_code) j["unregister_path"] = true;
  return j;
}

}  // namespace

std::string render_json(const Report& r) {
  json root;
  root["tool"] = "modrace";
  root["schema_version"] = 1;
  root["events"] = r.events;
  root["lost_events"] = r.lost_events;
  root["complete"] = r.complete;
  root["incomplete_reasons"] = r.incomplete_why;
  root["lock_info_complete"] = r.lock_info_complete;
  root["missing_symbols"] = r.missing_symbols;
  json drops = json::object();
  for (int i = 0; i < kDropCauseMax; i++)
    drops[std::string(to_string(static_cast<DropCause>(i)))] = r.meta.drops.by_cause[i];
  root["trace"] = {{"kernel_release", r.meta.kernel_release},
                   {"hostname", r.meta.hostname},
                   {"lock_provider", to_string(r.meta.lock_provider)},
                   {"drops", drops},
                   {"truncated", r.meta.truncated},
                   {"modules_loaded", r.modules_seen},
                   {"unloads_completed", r.unloads_seen}};

  if (r.widen.any())
    root["widen"] = {
        {"held", r.widen.held}, {"capped", r.widen.capped}, {"held_us", r.widen.held_us}};
  json findings = json::array();
  uint64_t errors = 0, warnings = 0, infos = 0;
  for (const auto& f : r.findings) {
    (f.severity == Severity::error ? errors : f.severity == Severity::warning ? warnings : infos)++;
    json j;
    j["id"] = f.id;
    j["rule"] = to_string(f.rule);
    j["severity"] = to_string(f.severity);
    j["module"] = f.module;
    j["site"] = f.site;
    j["function"] = f.function;
    j["op"] = f.op;
    j["count"] = f.count;
    j["stack"] = json::array();
    for (const auto& fr : f.stack) j["stack"].push_back(frame_json(fr));
    j["locks_held"] = json::array();
    for (const auto& l : f.locks_held) j["locks_held"].push_back(lock_json(l));
    if (!f.lock_context.empty()) j["lock_context"] = f.lock_context;
    if (f.rule == Rule::unprotected_get || f.rule == Rule::preempt_only_get) {
      j["unload_locks"] = json::array();
      for (const auto& l : f.unload_locks) j["unload_locks"].push_back(lock_json(l));
    }
    if (!f.refs.empty()) {
      j["refs"] = json::array();
      for (const auto& x : f.refs) j["refs"].push_back({{"site", x.site}, {"count", x.count}});
    }
    j["task"] = {{"comm", f.comm}, {"pid", f.pid}, {"tid", f.tid}};
    j["first_ts_ns"] = f.first_ts_ns;
    if (f.refcount >= 0) j["refcount"] = f.refcount;
    j["message"] = f.message;
    j["fix"] = f.fix;
    if (f.widened.gets)
      j["widened"] = {{"gets", f.widened.gets},
                      {"hits", f.widened.hits},
                      {"confirmed", f.widened.confirmed()},
                      {"text", widening_text(f.widened)}};
    findings.push_back(std::move(j));
  }
  root["findings"] = std::move(findings);

  json sites = json::array();
  for (const auto& s : r.sites) {
    json j = {{"module", s.module}, {"site", s.site},   {"function", s.function},
              {"op", s.op},         {"count", s.count}, {"locks_held", s.locks_held}};
    // verdict: "protected", "by-reference", "unverified", "core", or the id of its finding.
    j["verdict"] =
        s.verdict == SiteVerdict::finding ? s.finding_id : std::string(to_string(s.verdict));
    if (s.verdict == SiteVerdict::protected_) j["protected_by"] = s.protected_by;
    if (!s.reason.empty()) j["reason"] = s.reason;
    sites.push_back(std::move(j));
  }
  root["sites"] = std::move(sites);

  json outstanding = json::array();
  for (const auto& o : r.outstanding)
    outstanding.push_back({{"id", o.id},
                           {"module", o.module},
                           {"site", o.site},
                           {"function", o.function},
                           {"count", o.count},
                           {"leaked", o.leaked}});
  root["outstanding"] = std::move(outstanding);

  json unverified = json::array();
  for (const auto& u : r.unverified)
    unverified.push_back({{"rule", to_string(u.rule)},
                          {"module", u.module},
                          {"site", u.site},
                          {"count", u.count},
                          {"reason", u.reason}});
  root["unverified"] = std::move(unverified);
  root["summary"] = {{"errors", errors},
                     {"warnings", warnings},
                     {"info", infos + r.outstanding.size()},
                     {"sites", r.sites.size()}};
  // Strings from the trace (process, module and symbol names) need not be UTF-8: invalid bytes
  // become U+FFFD (docs/trace-format.md).
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace modrace
