// SPDX-License-Identifier: GPL-2.0-only
//
// From accumulated findings to the Report's findings: symbolization, texts, merging.
#include "analyzer/report_builder.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "analyzer/rules/rule.h"

namespace modrace::checker {

Frame ReportBuilder::frame(uint64_t addr, SymbolView syms) const {
  Frame f;
  f.addr = addr;
  f.text = opts_.format_frame ? opts_.format_frame(addr, syms) : syms.format(addr);
  auto r = syms.resolve(addr);
  if (r.symbol) {
    f.function = r.symbol->name;
    f.module = r.symbol->module;
  }
  if (opts_.locate)
    if (auto loc = opts_.locate(addr, syms)) f.file = loc->file, f.line = loc->line;
  return f;
}

LockDesc ReportBuilder::lock_desc(uint64_t addr, LockKind kind, uint64_t class_key, uint64_t ip,
                                  SymbolView syms) const {
  LockDesc d;
  d.addr = addr;
  d.kind = kind;
  d.is_static = syms.data_symbol(addr) != nullptr;
  // On lockdep kernels a lock is named by its class, as lockdep's own reports do
  // ("misc_mtx", "&disk->open_mutex"); `addr` is then its lockdep_map, inside the lock.
  d.name = syms.lock_name(addr, class_key);
  if (ip) d.acquired_at = syms.format(ip);
  return d;
}

Finding ReportBuilder::build_finding(const FindingAcc& a, const EventSource& src) const {
  // Named from the module loads live when it happened, not those at the end of the trace.
  const SymbolView syms = src.symbols().at(a.first.epoch);
  Finding f;
  f.rule = a.rule;
  f.severity = severity_of(a.rule);
  f.module = modules_.name(a.name_id);
  f.site = site_text(a.caller_ip, a.caller_mod, a.caller_off, a.caller_in_init, syms, modules_,
                     &f.function);
  f.op = a.op == EventKind::try_module_get ? "try_module_get"
         : a.op == EventKind::module_get   ? "__module_get"
                                           : "module_put";
  f.id = finding_id(a.rule, f.module, f.site);
  f.count = a.count;
  for (uint64_t pc : src.stacks().frames(a.first.stack)) f.stack.push_back(frame(pc, syms));
  if (a.first.stack == 0) f.stack.push_back(frame(a.caller_ip, syms));
  for (const auto& l : a.locks.held())
    f.locks_held.push_back(lock_desc(l.addr, l.kind, l.class_key, l.acquire_ip, syms));
  f.lock_context = lock_context_text(a.locks);
  for (const auto& u : a.unload_locks) {
    const SymbolView unload_syms = src.symbols().at(u.epoch);  // as the unload saw them
    auto d = lock_desc(u.addr, u.kind, u.class_key, u.ip, unload_syms);
    d.via = u.via_pc ? unload_syms.format(u.via_pc) : u.via;
    d.ts = u.ts;
    d.module_code = u.module_code;
    // A lock that is a module's own static object (seed_core's seed_driver_lock) is the
    // subsystem's: the unload took it in that module's unregister code. This also covers fentry
    // lock probes, whose stacks do not always unwind past the BPF trampoline to the module frame.
    if (auto r = unload_syms.resolve(u.addr);
        !d.module_code && r.symbol && !r.symbol->module.empty() && d.is_static)
      d.module_code = true;
    f.unload_locks.push_back(std::move(d));
  }
  // The unregister path's own locks first: they are what the reader and the fix care about.
  std::stable_sort(f.unload_locks.begin(), f.unload_locks.end(),
                   [](const LockDesc& a, const LockDesc& b) {
                     if (a.module_code != b.module_code) return a.module_code;
                     return a.ts < b.ts;
                   });
  f.comm = std::string(a.first.comm.data(), strnlen(a.first.comm.data(), a.first.comm.size()));
  f.pid = a.first.pid;
  f.tid = a.first.tid;
  f.first_ts_ns = a.first.ts;
  f.refcount = a.refcount;
  if (a.has_site) f.widened = sites_.site(a.site).widen;
  // What happened and the fix: the rule's own words.
  switch (a.rule) {
    case Rule::unprotected_get:
      unprotected_get::explain(f, a);
      break;
    case Rule::self_get:
      self_get::explain(f, a);
      break;
    case Rule::self_put:
      self_put::explain(f, a);
      break;
    case Rule::ref_leak:
      ref_leak::explain(f, a);
      break;
    case Rule::get_while_going:
      get_while_going::explain(f, a);
      break;
    case Rule::put_underflow:
      put_underflow::explain(f, a);
      break;
    case Rule::preempt_only_get:
      preempt_only_get::explain(f, a);
      break;
    case Rule::outstanding:
      break;  // reported as Outstanding, never as a finding
  }
  return f;
}

Report ReportBuilder::start(const EventSource& src, uint64_t events, uint64_t unloads_seen) const {
  Report rep;
  const TraceMeta& meta = src.meta();
  rep.meta = meta;
  rep.events = events;
  rep.lost_events = meta.drops.lost_events();
  rep.modules_seen = modules_.modules_seen();
  rep.unloads_seen = unloads_seen;
  if (rep.lost_events)
    rep.incomplete_why.push_back(fmt::format(
        "{} events were lost (ring buffer full): verdicts that lost events could explain are "
        "listed as unverified, not as findings",
        rep.lost_events));
  if (meta.drops.saturated())
    rep.incomplete_why.push_back(
        "a drop counter is saturated (at 2^64-1): how much was lost is unknown");
  if (meta.truncated)
    rep.incomplete_why.push_back(
        fmt::format("the trace is truncated at offset {}{}", meta.truncated_at_offset,
                    meta.truncation_reason.empty() ? "" : ": " + meta.truncation_reason));
  rep.complete = rep.incomplete_why.empty();
  rep.missing_symbols = missing_symbols(src.symbols(), meta);
  rep.lock_info_complete = meta.drops.lost_lock_info() == 0;
  return rep;
}

void ReportBuilder::add_findings(Report& rep, const FindingStore& store, const EventSource& src,
                                 SiteFindings& named) const {
  // Findings, merged by id (one symbolized site can have several addresses across reloads).
  const TraceMeta& meta = src.meta();
  std::unordered_map<std::string, size_t> by_id;
  for (const auto& a : store.all()) {
    Finding f = build_finding(a, src);
    if (degraded_by_loss(a, meta)) {
      rep.unverified.push_back(
          {a.rule, f.module, f.site, f.count,
           a.lock_sensitive && meta.drops.lost_lock_info() > 0
               ? "lock information was lost (lock_table/task_storage/lock_recursion drops)"
               : "events were lost: the verdict could be explained by a lost event"});
      continue;
    }
    named.offer(a, f.id);
    auto it = by_id.find(f.id);
    if (it == by_id.end()) {
      by_id.emplace(f.id, rep.findings.size());
      rep.findings.push_back(std::move(f));
    } else {
      auto& g = rep.findings[it->second];
      if (a.rule == Rule::ref_leak)
        ref_leak::merge(g, f);
      else
        g.count += f.count;
      g.widened += f.widened;
    }
  }
  std::stable_sort(rep.findings.begin(), rep.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     if (a.severity != b.severity) return a.severity > b.severity;
                     if (a.module != b.module) return a.module < b.module;
                     if (a.rule != b.rule) return a.rule < b.rule;
                     return a.site < b.site;
                   });
}

}  // namespace modrace::checker
