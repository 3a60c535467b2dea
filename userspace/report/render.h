// SPDX-License-Identifier: GPL-2.0-only
//
// Renderers for the analyzer's Report: text (lockdep/KASAN-style splats), JSON (schema in
// docs/protocol.md) and SARIF 2.1.0 (GitHub code scanning). Pure formatting: all symbolization
// happened in the analyzer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analyzer/findings.h"

namespace modrace {

enum class ReportFormat { text, json, sarif, ktap };
std::optional<ReportFormat> report_format_from_string(std::string_view s);

struct TextOptions {
  bool colour = false;  // ANSI colours (the CLI sets it from cli::use_colour())
  // false: leave out the finding blocks (`modrace live` printed them as they were established).
  bool include_findings = true;
};

// The whole report as text: incompleteness warnings first, one block per finding, then the
// unverified verdicts, outstanding references, the per-site summary and a summary line.
std::string render_text(const Report& r, const TextOptions& opts = {});
// One finding's block, for `modrace live` to print as soon as it is established.
std::string render_finding_text(const Finding& f, const TextOptions& opts = {});
std::string render_json(const Report& r);
std::string render_sarif(const Report& r);
// KTAP version 1 for kernel CI: a test per finding and per get site; `not ok` for findings at or
// above `fail_on` (none: every test is ok), `# SKIP` for unverified sites.
std::string render_ktap(const Report& r, std::optional<Severity> fail_on);

// --fail-on: "error", "warning", "info" or "none". nullopt for "none"; throws modrace::Error
// for anything else.
std::optional<Severity> parse_fail_on(std::string_view s);
// 0 when no finding is at or above `fail_on` (never for none), 1 (kExitFindings) otherwise.
int exit_status_for(const Report& r, std::optional<Severity> fail_on);

}  // namespace modrace
