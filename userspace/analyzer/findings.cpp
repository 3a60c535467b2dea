// SPDX-License-Identifier: GPL-2.0-only
//
// The rule catalogue and the vocabulary of findings.h: rule and severity names, one-line
// summaries, the stable finding id. A library of its own (modrace_findings) so renderers and
// synth can name rules without linking the checker.
#include "analyzer/findings.h"

#include <array>

#include <fmt/format.h>

namespace modrace {

namespace {
constexpr std::array<std::string_view, kRuleCount> kRuleNames = {
    "unprotected-get", "self-get",      "self-put",    "ref-leak",
    "get-while-going", "put-underflow", "outstanding", "preempt-only-get"};
}  // namespace

std::string_view to_string(Rule r) { return kRuleNames[static_cast<int>(r)]; }

std::optional<Rule> rule_from_string(std::string_view s) {
  for (int i = 0; i < kRuleCount; i++)
    if (kRuleNames[i] == s) return static_cast<Rule>(i);
  return std::nullopt;
}

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "unknown";
}

std::optional<Severity> severity_from_string(std::string_view s) {
  if (s == "info") return Severity::info;
  if (s == "warning") return Severity::warning;
  if (s == "error") return Severity::error;
  return std::nullopt;
}

Severity severity_of(Rule r) {
  switch (r) {
    case Rule::self_get:
    case Rule::preempt_only_get:
      return Severity::warning;
    case Rule::outstanding:
      return Severity::info;
    default:
      return Severity::error;
  }
}

std::string_view rule_summary(Rule r) {
  switch (r) {
    case Rule::unprotected_get:
      return "try_module_get() without a lock shared with the module's unload path";
    case Rule::self_get:
      return "try_module_get() on a module from the module's own code";
    case Rule::self_put:
      return "module_put() from the module's own code that can drop the last reference";
    case Rule::ref_leak:
      return "module unload failed busy with references outstanding";
    case Rule::get_while_going:
      return "reference taken on a module being unloaded or freed";
    case Rule::put_underflow:
      return "module_put() with no reference outstanding";
    case Rule::outstanding:
      return "module references still held when the trace ended";
    case Rule::preempt_only_get:
      return "try_module_get() covered only by disabled preemption, which keeps module memory "
             "but not the objects the module's exit frees";
  }
  return "";
}

std::string_view to_string(SiteVerdict v) {
  switch (v) {
    case SiteVerdict::protected_:
      return "protected";
    case SiteVerdict::by_reference:
      return "by-reference";
    case SiteVerdict::unverified:
      return "unverified";
    case SiteVerdict::finding:
      return "finding";
    case SiteVerdict::core:
      return "core";
  }
  return "unknown";
}

uint64_t count_at_or_above(const Report& r, Severity level) {
  uint64_t n = 0;
  for (const auto& f : r.findings)
    if (f.severity >= level) n++;
  if (level <= Severity::info) n += r.outstanding.size();
  return n;
}

std::string widening_text(const Widening& w) {
  if (!w.gets) return {};
  if (w.confirmed())
    return fmt::format("confirmed: {} widened get{}, {} hit", w.gets, w.gets == 1 ? "" : "s",
                       w.hits);
  return fmt::format("not confirmed after {} widened get{}", w.gets, w.gets == 1 ? "" : "s");
}

std::string finding_id(Rule rule, std::string_view module, std::string_view site) {
  // FNV-1a 64: stable across runs, machines and compilers (std::hash is not).
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
    h ^= 0xff;  // separator, so ("ab","c") != ("a","bc")
    h *= 0x100000001b3ull;
  };
  mix(to_string(rule));
  mix(module);
  mix(site);
  return fmt::format("{:016x}", h);
}

}  // namespace modrace
