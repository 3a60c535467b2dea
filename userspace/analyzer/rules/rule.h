// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. What a rule sees and what each rule exports: the trackers it reads
// (RuleContext), its detection hooks, called by the dispatcher in the order analyzer.cpp
// states, and explain(), which writes a finding's message and fix. One rule per file in this
// directory; the rules themselves are specified in docs/protocol.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analyzer/callers.h"
#include "analyzer/finding_store.h"
#include "analyzer/findings.h"
#include "analyzer/locks.h"
#include "analyzer/modules.h"
#include "analyzer/sites.h"
#include "analyzer/unload_path.h"
#include "events/symbols.h"

namespace modrace::checker {

// Rules read the model and write verdicts: findings, and the per-site tallies.
struct RuleContext {
  const ModuleTable& modules;
  SiteTable& sites;
  FindingStore& findings;
  SymbolEpoch epoch = 0;  // of the event being consumed: where a new finding's names come from
  const SymbolTable* symbols = nullptr;  // the source's, once an event was consumed
};

// Gets of instances that went away without an observed unload: (sig, count).
using OrphanGets = std::vector<std::pair<uint32_t, uint64_t>>;

// The caller's function name, or its site when unknown (the name messages and fixes use).
inline const std::string& display_function(const Finding& f) {
  return f.function.empty() ? f.site : f.function;
}

namespace unprotected_get {
// Judges `count` gets of one sig against an unload path. `earlier`: the path is an earlier
// instance's unload (this one was never seen unloaded); its symbols tell which held locks stay
// at one address across loads.
void judge(RuleContext& ctx, uint32_t sig, uint64_t count,
           const std::vector<UnloadLockRec>& profile, const SymbolTable* earlier = nullptr);
// The instance's unload completed: judges the gets that waited for it.
void on_unload(RuleContext& ctx, Instance& inst, const std::vector<UnloadLockRec>& profile);
// At the end: gets whose instance was never seen unloaded.
void judge_orphans(RuleContext& ctx, OrphanGets& orphans, const UnloadProfiles& profiles,
                   const SymbolTable& syms);
void explain(Finding& f, const FindingAcc& a);
// Take the lock the unload path takes, or use RCU: also get-while-going's fix.
std::string fix(const Finding& f);
}  // namespace unprotected_get

namespace preempt_only_get {
// Records `count` gets of one sig whose only cover against the unload was disabled preemption
// or interrupts (or PREEMPT_RT's implicit RCU read side of spin_lock), judged against
// `profile`; unprotected_get::judge decides when.
void judge(RuleContext& ctx, uint32_t sig, uint64_t count,
           const std::vector<UnloadLockRec>& profile, bool earlier);
void explain(Finding& f, const FindingAcc& a);
}  // namespace preempt_only_get

namespace get_while_going {
// A get on `inst` (before reference accounting).
void on_get(RuleContext& ctx, const Event& ev, Instance& inst, uint32_t sig, bool success);
// The instance's unload completed: judges the gets it refused while running.
void on_unload(RuleContext& ctx, Instance& inst, const std::vector<UnloadLockRec>& profile);
// The unload failed: what it refused proves nothing.
inline void on_unload_failed(Instance& inst) { inst.going_gets.clear(); }
void explain(Finding& f, const FindingAcc& a);
}  // namespace get_while_going

namespace self_get {
// A get from the target module's own text.
void on_get(RuleContext& ctx, const Event& ev, uint32_t site, bool by_ref);
void explain(Finding& f, const FindingAcc& a);
}  // namespace self_get

namespace self_put {
// A user put that was not an underflow, after reference accounting.
void on_put(RuleContext& ctx, const Event& ev, const RefcountOp& r, const Instance& inst,
            const Caller& c);
void explain(Finding& f, const FindingAcc& a);
}  // namespace self_put

namespace put_underflow {
// A user put, after reference accounting (`released` as RefLedger::release returned).
// True when it was an underflow: nothing else is judged about it.
bool on_put(RuleContext& ctx, const Event& ev, const RefcountOp& r, const Instance& inst,
            const Caller& c, int64_t released);
void explain(Finding& f, const FindingAcc& a);
}  // namespace put_underflow

namespace ref_leak {
// An unload failed busy (`ret` -EBUSY or -EWOULDBLOCK): remembers what was outstanding.
void on_busy_unload(Instance& inst, int64_t ret);
// The module goes (or the trace ends): what a busy unload saw and is still held was leaked.
void judge(RuleContext& ctx, Instance& inst);
void explain(Finding& f, const FindingAcc& a);
// Two findings with one id (one symbolized site, several addresses): the most, not the sum.
void merge(Finding& into, const Finding& f);
}  // namespace ref_leak

namespace outstanding {
// References still held at the end, per symbolized site.
void collect(const ModuleTable& modules, const SiteTable& sites, const SymbolTable& syms,
             Report& rep);
}  // namespace outstanding

}  // namespace modrace::checker
