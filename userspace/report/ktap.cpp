// SPDX-License-Identifier: GPL-2.0-only
//
// KTAP version 1 (Documentation/dev-tools/ktap.rst), for kernel CI that reads kselftest and KUnit
// results: one test per finding, then one per get site. A finding at or above --fail-on is
// `not ok`, preceded by its splat as diagnostic lines; a site is `ok` when protected,
// by-reference or core, `not ok` when its finding is at or above --fail-on, and `ok ... # SKIP`
// with the reason when unverified. The plan counts every test; an incomplete trace says so in a
// diagnostic line at the top.
#include <unordered_map>

#include <fmt/format.h>

#include "events/printable.h"
#include "report/render.h"

namespace modrace {

namespace {

// A name from the trace, escaped as every text output does (printable(): no control bytes, so
// no line break), and without '#', which would end a test's description.
std::string description(std::string_view name) {
  std::string s = printable(name);
  for (char& c : s)
    if (c == '#') c = ' ';
  return s;
}

void diagnostics(std::string& o, const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    o += line.empty() ? "#\n" : fmt::format("# {}\n", line);
    start = end + 1;
  }
}

bool fails(const Finding& f, std::optional<Severity> fail_on) {
  return fail_on && f.severity >= *fail_on;
}

}  // namespace

std::string render_ktap(const Report& r, std::optional<Severity> fail_on) {
  std::string o = "KTAP version 1\n";
  o += fmt::format("# modrace: kernel {}, {} events, {} unloads\n",
                   description(r.meta.kernel_release), r.events, r.unloads_seen);
  if (!r.complete)
    for (const auto& why : r.incomplete_why) o += fmt::format("# INCOMPLETE: {}\n", why);
  o += fmt::format("1..{}\n", r.findings.size() + r.sites.size());
  size_t n = 0;
  std::unordered_map<std::string_view, const Finding*> by_id;
  for (const auto& f : r.findings) by_id.emplace(f.id, &f);
  for (const auto& f : r.findings) {
    bool bad = fails(f, fail_on);
    if (bad) diagnostics(o, render_finding_text(f));
    o += fmt::format("{} {} {} on {} at {}{}\n", bad ? "not ok" : "ok", ++n, to_string(f.rule),
                     description(f.module), description(f.site),
                     bad ? "" : fmt::format(" # {}, below --fail-on", to_string(f.severity)));
  }
  for (const auto& s : r.sites) {
    std::string name =
        fmt::format("site {} {} on {}", description(s.site), s.op, description(s.module));
    auto found = by_id.find(s.finding_id);
    const Finding* finding = found == by_id.end() ? nullptr : found->second;
    switch (s.verdict) {
      case SiteVerdict::unverified:
        o += fmt::format("ok {} {} # SKIP unverified: {}\n", ++n, name, description(s.reason));
        break;
      case SiteVerdict::finding:
        if (finding && fails(*finding, fail_on))
          o += fmt::format("# finding {}\nnot ok {} {}\n", s.finding_id, ++n, name);
        else
          o += fmt::format("ok {} {} # finding {}, below --fail-on\n", ++n, name, s.finding_id);
        break;
      case SiteVerdict::protected_:
        o += fmt::format("ok {} {} # protected by {}\n", ++n, name, description(s.protected_by));
        break;
      default:
        o += fmt::format("ok {} {} # {}{}\n", ++n, name, to_string(s.verdict),
                         s.reason.empty() ? "" : ": " + description(s.reason));
    }
  }
  return o;
}

}  // namespace modrace
