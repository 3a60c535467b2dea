// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. The report's "sites": every get site merged by symbolized text,
// the finding that names it (the most telling rule wins) and the per-site verdict ladder.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "analyzer/finding_store.h"
#include "analyzer/findings.h"
#include "analyzer/modules.h"
#include "analyzer/sites.h"
#include "events/symbols.h"

namespace modrace::checker {

// Which finding names each site: offered every reported finding, keeps the best ranked.
class SiteFindings {
 public:
  void offer(const FindingAcc& a, const std::string& id);
  static int rank(Rule r) {
    return r == Rule::unprotected_get                                  ? 3
           : r == Rule::get_while_going || r == Rule::preempt_only_get ? 2
                                                                       : 1;
  }
  // The finding id naming site `i` and its rank, or nullptr.
  const std::string* find(uint32_t i, int* rank) const;

 private:
  std::unordered_map<uint32_t, std::string> id_;  // site idx -> best finding id
  std::unordered_map<uint32_t, Rule> rule_;
};

void add_site_verdicts(Report& rep, const SiteTable& sites, const ModuleTable& modules,
                       const SiteFindings& named, const SymbolTable& syms);

}  // namespace modrace::checker
