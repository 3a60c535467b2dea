// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. ReportBuilder: the model made readable. Findings symbolized (site,
// stack, locks) with each rule's message and fix, merged by id; what the trace lost.
#pragma once

#include <cstdint>

#include "analyzer/analyzer.h"
#include "analyzer/finding_store.h"
#include "analyzer/modules.h"
#include "analyzer/site_verdicts.h"
#include "analyzer/sites.h"
#include "events/source.h"

namespace modrace::checker {

class ReportBuilder {
 public:
  ReportBuilder(const AnalyzerOptions& opts, const ModuleTable& modules, const SiteTable& sites)
      : opts_(opts), modules_(modules), sites_(sites) {}

  Finding build_finding(const FindingAcc& a, const EventSource& src) const;
  // The report's header: counts, and why it is incomplete.
  Report start(const EventSource& src, uint64_t events, uint64_t unloads_seen) const;
  // Findings, errors first, merged by id; those lost events could explain go to "unverified".
  // Tells `named` which finding names each site.
  void add_findings(Report& rep, const FindingStore& store, const EventSource& src,
                    SiteFindings& named) const;

 private:
  Frame frame(uint64_t addr, SymbolView syms) const;
  LockDesc lock_desc(uint64_t addr, LockKind kind, uint64_t class_key, uint64_t ip,
                     SymbolView syms) const;

  const AnalyzerOptions& opts_;
  const ModuleTable& modules_;
  const SiteTable& sites_;
};

}  // namespace modrace::checker
