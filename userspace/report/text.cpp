// SPDX-License-Identifier: GPL-2.0-only
//
// The text report: one block per finding shaped like the splats kernel developers read every
// day (lockdep, KASAN): a BUG:/WARNING: header, what happened, the task, the call trace, the
// locks held, the unload path's locks, the fix.
#include <algorithm>

#include <fmt/format.h>

#include "events/clock.h"
#include "events/error.h"
#include "events/printable.h"
#include "report/render.h"

namespace modrace {

namespace {

struct Style {
  bool on = false;
  std::string red(std::string_view s) const { return wrap("1;31", s); }
  std::string yellow(std::string_view s) const { return wrap("1;33", s); }
  std::string cyan(std::string_view s) const { return wrap("36", s); }
  std::string bold(std::string_view s) const { return wrap("1", s); }
  std::string dim(std::string_view s) const { return wrap("2", s); }
  std::string wrap(std::string_view code, std::string_view s) const {
    if (!on) return std::string(s);
    return fmt::format("\033[{}m{}\033[0m", code, s);
  }
};

const std::string kRule(66, '=');
const std::string kThin(66, '-');

std::string header(const Finding& f, const Style& st) {
  // Errors use the kernel's BUG: prefix, warnings WARNING:, notes INFO:, as lockdep and KASAN do.
  std::string_view prefix = f.severity == Severity::error     ? "BUG"
                            : f.severity == Severity::warning ? "WARNING"
                                                              : "INFO";
  std::string h =
      fmt::format("{}: modrace: {} on module {}", prefix, to_string(f.rule), printable(f.module));
  return f.severity == Severity::error ? st.red(h) : st.yellow(h);
}

std::string lock_line(int i, const LockDesc& l) {
  std::string s =
      fmt::format(" #{}: {:016x} ({}){{{}}}", i, l.addr, printable(l.name), to_string(l.kind));
  if (!l.acquired_at.empty()) s += fmt::format(", at: {}", printable(l.acquired_at));
  if (!l.via.empty()) s += fmt::format("  [{}]", printable(l.via));
  return s;
}

std::string finding_block(const Finding& f, const Style& st) {
  // Every string from the trace (names, and the messages built from them) goes through
  // printable(): a process names itself, and must not drive the terminal or forge lines.
  const std::string comm = printable(f.comm);
  std::string o;
  o += kRule + "\n";
  o += header(f, st) + "\n";
  o += kThin + "\n";
  o += printable(f.message) + "\n\n";
  if (!f.comm.empty() || f.pid)
    o += fmt::format("{} by task {}/{} (tid {}) at {}s, seen {} time{}\n", f.op, comm, f.pid, f.tid,
                     seconds_text(f.first_ts_ns), f.count, f.count == 1 ? "" : "s");
  else
    o += fmt::format("seen {} time{}\n", f.count, f.count == 1 ? "" : "s");
  o += fmt::format("site: {}\n", st.bold(printable(f.site)));
  if (f.widened.gets)  // a race shown, or only suspected: never clears the finding
    o += (f.widened.confirmed() ? st.red(widening_text(f.widened)) : widening_text(f.widened)) +
         "\n";
  if (!f.stack.empty()) {
    o += "Call Trace:\n";
    for (const auto& fr : f.stack) o += fmt::format("  {}\n", printable(fr.text));
  }
  if (f.rule == Rule::unprotected_get || f.rule == Rule::get_while_going ||
      f.rule == Rule::preempt_only_get || f.rule == Rule::self_get || f.rule == Rule::self_put ||
      f.rule == Rule::put_underflow) {
    if (f.locks_held.empty())
      o += fmt::format("no locks held by {}/{}", comm, f.pid);
    else
      o += fmt::format("{} lock{} held by {}/{}:", f.locks_held.size(),
                       f.locks_held.size() == 1 ? "" : "s", comm, f.pid);
    o += f.lock_context.empty() ? "\n" : fmt::format(" ({})\n", printable(f.lock_context));
    for (size_t i = 0; i < f.locks_held.size(); i++) o += lock_line(int(i), f.locks_held[i]) + "\n";
  }
  if (f.rule == Rule::unprotected_get || f.rule == Rule::preempt_only_get) {
    if (f.unload_locks.empty())
      o += fmt::format("the unload path of {} took no lock\n", printable(f.module));
    else
      o += fmt::format("the unload path of {} took:\n", printable(f.module));
    // Every lock of the unregister path itself; of the loader's and core teardown's (often
    // hundreds: dentries, xarrays), the first few and a count. JSON has them all.
    constexpr size_t kOtherShown = 6;
    size_t others = 0, hidden = 0;
    for (size_t i = 0; i < f.unload_locks.size(); i++) {
      if (!f.unload_locks[i].module_code && others++ >= kOtherShown) {
        hidden++;
        continue;
      }
      o += lock_line(int(i), f.unload_locks[i]) + "\n";
    }
    if (hidden)
      o += fmt::format(
          " ... and {} more taken by the module loader and core teardown "
          "(--format json lists them)\n",
          hidden);
  }
  if (f.rule == Rule::ref_leak) {
    o += "outstanding references by get site:\n";
    for (const auto& r : f.refs) o += fmt::format("  {:>6}  {}\n", r.count, printable(r.site));
  }
  if (!f.fix.empty()) o += fmt::format("{} {}\n", st.cyan("fix:"), printable(f.fix));
  o += st.dim(fmt::format("id: {}", f.id)) + "\n";
  return o;
}

}  // namespace

std::string render_finding_text(const Finding& f, const TextOptions& opts) {
  return finding_block(f, Style{opts.colour});
}

std::string render_text(const Report& r, const TextOptions& opts) {
  Style st{opts.colour};
  std::string o;
  o += fmt::format("modrace: analysed {} events", r.events);
  if (!r.meta.kernel_release.empty())
    o += fmt::format(" from {}", printable(r.meta.kernel_release));
  o += fmt::format(" (locks: {}), {} module load{}, {} completed unload{}\n",
                   to_string(r.meta.lock_provider), r.modules_seen, r.modules_seen == 1 ? "" : "s",
                   r.unloads_seen, r.unloads_seen == 1 ? "" : "s");
  if (r.widen.any())
    o += fmt::format(
        "modrace: widened: {} get{} held ({:.1f} ms in all), {} not held (budget spent)\n",
        r.widen.held, r.widen.held == 1 ? "" : "s", double(r.widen.held_us) / 1000, r.widen.capped);
  if (!r.complete) {
    o += st.yellow("modrace: WARNING: this analysis is INCOMPLETE") + "\n";
    for (const auto& why : r.incomplete_why) o += fmt::format("  - {}\n", printable(why));
  }
  if (!r.lock_info_complete) {
    const auto& d = r.meta.drops;
    o += st.yellow("modrace: WARNING: lock information was lost") +
         fmt::format(
             " (lock_table {}, task_storage {}, lock_recursion {}): lock verdicts that "
             "depend on it are unverified\n",
             d[DropCause::lock_table], d[DropCause::task_storage], d[DropCause::lock_recursion]);
  }
  if (!r.missing_symbols.empty()) {
    o += st.yellow("modrace: WARNING: module loads without symbols") + "\n";
    for (const auto& m : r.missing_symbols) o += fmt::format("  - {}\n", printable(m));
  }
  o += "\n";

  if (opts.include_findings)
    for (const auto& f : r.findings) o += finding_block(f, st) + "\n";

  if (!r.unverified.empty()) {
    o += kRule + "\n" + st.bold("unverified (would need the lost data to decide):") + "\n";
    for (const auto& u : r.unverified)
      o += fmt::format("  {:<16} {:<20} {} (x{}): {}\n", to_string(u.rule), printable(u.module),
                       printable(u.site), u.count, printable(u.reason));
    o += "\n";
  }
  if (!r.outstanding.empty()) {
    o += kRule + "\n" + st.bold("outstanding references when the trace ended (info):") + "\n";
    for (const auto& x : r.outstanding)
      o += fmt::format("  {:>6}  {:<20} taken at {}{}\n", x.count, printable(x.module),
                       printable(x.site), x.leaked ? "  (blamed by ref-leak)" : "");
    o += "\n";
  }
  if (!r.sites.empty()) {
    o += kRule + "\n" + st.bold("get sites:") + "\n";
    o += fmt::format("  {:<32} {:>8}  {:<20} {}\n", "verdict", "count", "module", "site [locks]");
    for (const auto& s : r.sites) {
      std::string verdict = s.verdict == SiteVerdict::finding
                                ? "finding " + s.finding_id.substr(0, 8)
                            : s.verdict == SiteVerdict::protected_
                                ? fmt::format("protected({})", printable(s.protected_by))
                                : std::string(to_string(s.verdict));
      std::string locks;
      for (size_t i = 0; i < s.locks_held.size(); i++)
        locks += (i ? ", " : "") + printable(s.locks_held[i]);
      o += fmt::format("  {:<32} {:>8}  {:<20} {}{}{}\n", verdict, s.count, printable(s.module),
                       printable(s.site), s.op == "try_module_get" ? "" : " (" + s.op + ")",
                       locks.empty() ? "" : " [" + locks + "]");
    }
    o += "\n";
  }

  uint64_t errors = 0, warnings = 0, infos = 0;
  for (const auto& f : r.findings)
    (f.severity == Severity::error     ? errors
     : f.severity == Severity::warning ? warnings
                                       : infos) += 1;
  uint64_t confirmed = 0;
  for (const auto& f : r.findings) confirmed += f.widened.confirmed();
  uint64_t by_verdict[5] = {};
  for (const auto& s : r.sites) by_verdict[static_cast<int>(s.verdict)]++;
  std::string line = fmt::format(
      "modrace: {} error{}, {} warning{}{}, {} outstanding; {} get site{}: {} protected, {} "
      "by-reference, {} unverified, {} with findings{}",
      errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
      (infos ? fmt::format(", {} info", infos) : "") +
          (confirmed ? fmt::format(" ({} confirmed)", confirmed) : ""),
      r.outstanding.size(), r.sites.size(), r.sites.size() == 1 ? "" : "s",
      by_verdict[static_cast<int>(SiteVerdict::protected_)],
      by_verdict[static_cast<int>(SiteVerdict::by_reference)],
      by_verdict[static_cast<int>(SiteVerdict::unverified)],
      by_verdict[static_cast<int>(SiteVerdict::finding)], r.complete ? "" : " (INCOMPLETE)");
  o += (errors ? st.red(line) : warnings ? st.yellow(line) : line) + "\n";
  return o;
}

std::optional<ReportFormat> report_format_from_string(std::string_view s) {
  if (s == "text") return ReportFormat::text;
  if (s == "json") return ReportFormat::json;
  if (s == "sarif") return ReportFormat::sarif;
  if (s == "ktap") return ReportFormat::ktap;
  return std::nullopt;
}

std::optional<Severity> parse_fail_on(std::string_view s) {
  if (s == "none") return std::nullopt;
  if (auto sev = severity_from_string(s)) return sev;
  throw Error(fmt::format("--fail-on: expected error, warning, info or none, got '{}'", s));
}

int exit_status_for(const Report& r, std::optional<Severity> fail_on) {
  if (!fail_on) return kExitOk;
  return count_at_or_above(r, *fail_on) ? kExitFindings : kExitOk;
}

}  // namespace modrace
