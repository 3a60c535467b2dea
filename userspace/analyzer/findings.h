// SPDX-License-Identifier: GPL-2.0-only
//
// What the analyzer concludes, as passive data: findings, per-site verdicts, outstanding
// references. Everything here is already symbolized (strings), so renderers (userspace/report)
// need neither the event stream nor the symbol table. The rules are specified in
// docs/protocol.md; the rule ids below are the ones users see in text, JSON and SARIF.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"
#include "events/trace_meta.h"

namespace modrace {

enum class Severity : uint8_t { info = 1, warning = 2, error = 3 };

enum class Rule : uint8_t {
  unprotected_get,
  self_get,
  self_put,
  ref_leak,
  get_while_going,
  put_underflow,
  outstanding,  // info: references still held when the trace ended
  preempt_only_get,
};
inline constexpr int kRuleCount = 8;

std::string_view to_string(Rule r);  // "unprotected-get", ...
std::string_view to_string(Severity s);
std::optional<Rule> rule_from_string(std::string_view s);
std::optional<Severity> severity_from_string(std::string_view s);
Severity severity_of(Rule r);
// One-line description of a rule (SARIF shortDescription, text summary).
std::string_view rule_summary(Rule r);

// A kernel address made readable.
struct Frame {
  uint64_t addr = 0;
  std::string text;      // "seed_open+0x2c/0x80 [seed_core] (seed_core.c:88)" as formatted
  std::string function;  // "seed_open", empty when unknown
  std::string module;    // "seed_core", empty for vmlinux
  std::string file;      // source file when DWARF was available
  uint32_t line = 0;
};

// A lock named for humans: static locks by their symbol, others by address plus the place
// they were first seen taken.
struct LockDesc {
  uint64_t addr = 0;
  LockKind kind = LockKind::mutex;
  std::string name;         // "misc_mtx", "file_systems_lock+0x8" or "0xffff888003a1b2c0"
  bool is_static = false;   // named by a data symbol
  std::string acquired_at;  // symbolized acquisition site ("misc_open+0x1c"), may be empty
  std::string
      via;  // unload locks: "delete_module", the module function, or "driver_unregister(name)"
  bool module_code = false;  // unload locks: taken by module code on the unregister path, or a
                             // module's own static lock
  uint64_t ts = 0;           // unload locks: when the unload certainly held it
};

// References attributed to one get site.
struct SiteRefs {
  std::string site;
  std::string function;
  uint64_t count = 0;
};

// --widen at a finding's site: did holding its gets let the unload win (docs/protocol.md,
// "Confirming a finding")?
struct Widening {
  uint64_t gets = 0;  // gets held at the site
  uint64_t hits =
      0;  // of those, gets on the module while its unload ran or after (get-while-going)
  bool confirmed() const { return hits > 0; }
  Widening& operator+=(const Widening& o) {
    gets += o.gets;
    hits += o.hits;
    return *this;
  }
};
// "confirmed: 12 widened gets, 3 hit" or "not confirmed after 12 widened gets"; empty when the
// site was not widened. The one wording text, JSON and SARIF use.
std::string widening_text(const Widening& w);

// What --widen did over the whole trace (from the gets' marks).
struct WideningTotals {
  uint64_t held = 0;     // gets held at a widened site
  uint64_t capped = 0;   // gets at a widened site not held: the per-second budget was spent
  uint64_t held_us = 0;  // time they were held in all
  bool any() const { return held || capped; }
};

struct Finding {
  std::string id;  // stable: hash of rule, module name and symbolized site
  Rule rule = Rule::unprotected_get;
  Severity severity = Severity::error;
  std::string module;        // the module whose reference is at stake
  std::string site;          // symbolized caller of the refcount op ("seed_open+0x2c [seed_core]")
  std::string function;      // the caller's function name, empty when unknown
  std::string op;            // "try_module_get", "__module_get", "module_put", "delete_module"
  uint64_t count = 0;        // occurrences (ref-leak: references outstanding at the failed unload)
  std::vector<Frame> stack;  // of the first occurrence, innermost first
  std::vector<LockDesc> locks_held;    // at the first occurrence
  std::string lock_context;            // "rcu_read_lock held", "preemption disabled", ...
  std::vector<LockDesc> unload_locks;  // unprotected-get: what the unload path took
  std::vector<SiteRefs> refs;          // ref-leak: outstanding references per get site
  std::string comm;
  uint32_t pid = 0, tid = 0;
  uint64_t first_ts_ns = 0;
  int32_t refcount = -1;  // module->refcnt after the op when known
  std::string message;    // what happened, one paragraph
  std::string fix;        // the concrete fix
  Widening widened;       // --widen at its site (get rules)
};

// The stable finding id: a hash of rule, module name and symbolized site.
std::string finding_id(Rule rule, std::string_view module, std::string_view site);

// Verdict of one get site, as listed in "sites".
enum class SiteVerdict : uint8_t { protected_, by_reference, unverified, finding, core };
std::string_view to_string(SiteVerdict v);

struct SiteReport {
  std::string module;
  std::string site;
  std::string function;
  std::string op;  // "try_module_get" or "__module_get"
  uint64_t count = 0;
  std::vector<std::string> locks_held;  // union of lock names seen at the site
  SiteVerdict verdict = SiteVerdict::unverified;
  std::string protected_by;  // lock name or "rcu" (verdict protected)
  std::string finding_id;    // verdict finding
  std::string reason;        // unverified: why; by-reference: how
};

struct Outstanding {
  std::string id;
  std::string module;
  std::string site;
  std::string function;
  uint64_t count = 0;   // references from this site still held at the end of the trace
  bool leaked = false;  // the module's unload failed busy on them: also a ref-leak finding
};

// A verdict the analyzer could have reached with complete data but did not, because events
// or lock information were lost: listed, never counted as a finding.
struct Unverified {
  Rule rule = Rule::unprotected_get;
  std::string module;
  std::string site;
  uint64_t count = 0;
  std::string reason;
};

struct Report {
  uint64_t events = 0;  // events analysed
  uint64_t lost_events = 0;
  bool complete = true;                     // false: lost events or a truncated trace
  std::vector<std::string> incomplete_why;  // human-readable reasons, empty when complete
  bool lock_info_complete = true;
  // Module loads whose symbols the trace lacks (their code is named .text+0x...), and why.
  std::vector<std::string> missing_symbols;
  TraceMeta meta;                 // of the source, drops final
  std::vector<Finding> findings;  // deduplicated by id; errors first, then by module and site
  std::vector<SiteReport> sites;  // every get site seen
  std::vector<Outstanding> outstanding;
  std::vector<Unverified> unverified;
  uint64_t modules_seen = 0;
  uint64_t unloads_seen = 0;  // completed unloads
  WideningTotals widen;
};

// Number of findings at or above `level` (outstanding references count as info).
uint64_t count_at_or_above(const Report& r, Severity level);

}  // namespace modrace
