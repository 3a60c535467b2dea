// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. FindingStore: findings as they accumulate, one per (rule, module,
// caller ip) with its first occurrence and count, the ones new since the last look, and when
// lost events or lock information make one unfit to report.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analyzer/callers.h"
#include "analyzer/findings.h"
#include "analyzer/locks.h"
#include "analyzer/sites.h"
#include "events/trace_meta.h"

namespace modrace::checker {

struct FindingAcc {
  Rule rule = Rule::unprotected_get;
  uint32_t name_id = 0;
  uint32_t site = 0;  // index into the SiteTable for get rules; unused for puts
  bool has_site = false;
  // For put rules (no Site record): the caller.
  uint64_t caller_ip = 0;
  int64_t caller_mod = -1;
  uint64_t caller_off = 0;
  bool caller_in_init = false;
  EventKind op = EventKind::try_module_get;
  uint64_t count = 0;
  FirstSeen first;
  LockContext locks;
  int32_t refcount = -1;
  std::vector<UnloadLockRec> unload_locks;
  std::string detail;
  uint64_t unpinned = 0;        // self-get: sightings where the task held no reference of its own
  bool loss_sensitive = false;  // lost events could explain it
  bool lock_sensitive = false;  // lost lock information could explain it
  bool announced = false;
};

// Lost events (or lost lock information) could explain the finding: listed as unverified,
// never announced nor counted.
inline bool degraded_by_loss(const FindingAcc& a, const TraceMeta& meta) {
  return (a.loss_sensitive && meta.drops.lost_events() > 0) ||
         (a.lock_sensitive && meta.drops.lost_lock_info() > 0);
}

class FindingStore {
 public:
  // One finding per (rule, target module, caller ip, caller module).
  FindingAcc& find_or_add(Rule rule, uint32_t name_id, uint64_t caller_ip, int64_t caller_mod,
                          bool* created);
  // The finding of a get site; a new one takes its first occurrence from `ev` (at symbol epoch
  // `epoch`), or from the site's when null.
  FindingAcc& for_site(Rule rule, const SiteTable& sites, uint32_t site_idx, const Event* ev,
                       SymbolEpoch epoch);
  // The finding of a get site judged by one of its sigs: a new one is described by the sig
  // (task, stack, locks) that showed it and the unload path it was judged against.
  FindingAcc& for_sig(Rule rule, const SiteTable& sites, uint32_t sig_idx,
                      const std::vector<UnloadLockRec>& profile, bool* created);
  // The finding of a put (puts have no Site record).
  FindingAcc& for_put(Rule rule, uint32_t name_id, const Event& ev, SymbolEpoch epoch,
                      const RefcountOp& r, const Caller& c);

  std::vector<FindingAcc>& all() { return findings_; }
  const std::vector<FindingAcc>& all() const { return findings_; }
  // Indexes of the findings created since the last call.
  std::vector<uint32_t> take_new() { return std::exchange(new_findings_, {}); }

 private:
  std::vector<FindingAcc> findings_;
  std::unordered_map<uint64_t, uint32_t> finding_index_;
  std::vector<uint32_t> new_findings_;
};

}  // namespace modrace::checker
