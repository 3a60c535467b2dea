// SPDX-License-Identifier: GPL-2.0-only
//
// The protocol checker's dispatcher: the only code that knows the order of steps. See
// docs/protocol.md for the rules and why each decision is made.
//
// The state lives in one tracker per kind, each in its own file:
//   - ModuleTable (modules.h): every load of a module, its lifecycle, and what it owns: its
//     RefLedger (references.h), its UnloadPath (unload_path.h) and the verdicts awaiting its
//     unload;
//   - CallerIndex (callers.h): whose code a caller ip is;
//   - SiteTable (sites.h): get sites and lock signatures, with their verdict tallies;
//   - FindingStore (finding_store.h): findings as they accumulate.
// Each rule is one file under rules/ (detection, message, fix); ReportBuilder and
// add_site_verdicts turn the state into the Report.
#include "analyzer/analyzer.h"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "analyzer/callers.h"
#include "analyzer/finding_store.h"
#include "analyzer/module_loader.h"
#include "analyzer/modules.h"
#include "analyzer/report_builder.h"
#include "analyzer/rules/rule.h"
#include "analyzer/site_verdicts.h"
#include "analyzer/sites.h"
#include "analyzer/unload_path.h"

namespace modrace {

using namespace checker;

class Analyzer::Impl {
 public:
  explicit Impl(AnalyzerOptions opts) : opts_(std::move(opts)) {}

  void consume(const Event& ev, const EventSource& src);
  std::vector<Finding> take_new_findings(const EventSource& src);
  Report finish(const EventSource& src);
  uint64_t events() const { return events_; }

 private:
  void on_load(const Event& ev, const ModuleLoad& l);
  void on_free(const ModuleFree& f);
  void on_delete_module(const Event& ev, const DeleteModule& d);
  void on_unload_lock(const Event& ev, const EventSource& src);
  void on_driver_unregister(const Event& ev, const DriverOp& d);
  void on_refcount(const Event& ev, const EventSource& src);
  void on_get(const Event& ev, const RefcountOp& r, Instance& inst, const Caller& c,
              const EventSource& src);
  void on_put(const Event& ev, const RefcountOp& r, Instance& inst, const Caller& c);
  void commit_unload(Instance& inst);

  AnalyzerOptions opts_;
  uint64_t events_ = 0;
  uint64_t unloads_seen_ = 0;
  WideningTotals widen_;
  ModuleTable modules_;
  CallerIndex callers_{modules_};
  SiteTable sites_;
  FindingStore findings_;
  UnloadProfiles profiles_;  // for instances never seen unloaded
  // Gets of instances that went away without an observed unload: judged at the end against the
  // module's last unload, when the symbols of every load are known.
  OrphanGets orphan_gets_;
  RuleContext ctx_{modules_, sites_, findings_};
  ReportBuilder report_{opts_, modules_, sites_};
};

// ---- events ----

void Analyzer::Impl::consume(const Event& ev, const EventSource& src) {
  events_++;
  ctx_.epoch = src.event_epoch();
  ctx_.symbols = &src.symbols();
  switch (ev.kind) {
    case EventKind::try_module_get:
    case EventKind::module_get:
    case EventKind::module_put:
      on_refcount(ev, src);
      break;
    case EventKind::module_load:
      on_load(ev, std::get<ModuleLoad>(ev.data));
      break;
    case EventKind::module_state:
      modules_.set_state(std::get<ModuleStateChange>(ev.data));
      break;
    case EventKind::module_free:
      on_free(std::get<ModuleFree>(ev.data));
      break;
    case EventKind::delete_module:
      on_delete_module(ev, std::get<DeleteModule>(ev.data));
      break;
    case EventKind::driver_register:
      break;
    case EventKind::driver_unregister:
      on_driver_unregister(ev, ev.driver());
      break;
    case EventKind::unload_lock:
      on_unload_lock(ev, src);
      break;
    case EventKind::unload_rcu_sync:
      // Recorded for completeness: free_module always waits for a grace period, so a
      // completed unload is what the RCU variant relies on (docs/protocol.md).
      break;
  }
}

void Analyzer::Impl::on_load(const Event& ev, const ModuleLoad& l) {
  // Pointer reuse: the old instance is gone for good. Its verdicts were taken at its unload;
  // what is still pending is judged at the end against the module's last unload.
  if (std::unique_ptr<Instance> old = modules_.load(ev, l)) {
    if (old->freed && !old->unloaded) commit_unload(*old);
    orphan_gets_.insert(orphan_gets_.end(), old->pending.begin(), old->pending.end());
  }
}

void Analyzer::Impl::on_free(const ModuleFree& f) {
  Instance& inst = modules_.free(f.module);
  // A free with no delete_module in progress is a failed init: nothing else will complete
  // the unload, so take the verdict now. Otherwise delete_module's exit does it, so that the
  // locks free_module takes are part of the unload path.
  if (!inst.unloading) commit_unload(inst);
}

void Analyzer::Impl::on_delete_module(const Event& ev, const DeleteModule& d) {
  if (d.phase == Phase::enter) {
    modules_.begin_unload(ev.tid, d.name, ctx_.epoch);
    return;
  }
  Instance* inst = modules_.end_unload(ev.tid);
  if (!inst) return;
  if (d.ret == 0) {
    commit_unload(*inst);
    return;
  }
  inst->exit_began = false;
  inst->unload.abandon();  // a failed unload ran no exit path and proves nothing
  get_while_going::on_unload_failed(*inst);
  if (d.ret == -kEBUSY || d.ret == -kEWOULDBLOCK) ref_leak::on_busy_unload(*inst, d.ret);
}

void Analyzer::Impl::on_unload_lock(const Event& ev, const EventSource& src) {
  Instance* inst = modules_.unloading_instance(ev.tid);
  if (!inst) return;
  const auto& u = std::get<UnloadLock>(ev.data);
  UnloadLockRec rec{u.lock, u.ip, u.kind, u.class_key, "delete_module", ev.ts_ns};
  rec.epoch = inst->unload.epoch();
  // The innermost frame in module text says which module code took it (seed_drv's exit
  // calling seed_core's unregister function).
  for (uint64_t pc : src.stacks().frames(ev.stack))
    if (callers_.classify(pc, src).inst) {
      // Named at the end, as of rec.epoch (the module may be freed by now): views of the past
      // come from an index built once the trace is read, not at every unload.
      rec.via_pc = pc;
      rec.module_code = true;
      break;
    }
  inst->unload.add(rec);
}

void Analyzer::Impl::on_driver_unregister(const Event& ev, const DriverOp& d) {
  if (!d.owner) return;
  Instance& inst = modules_.instance_for(d.owner);
  if (d.phase != Phase::enter) return;
  for (const auto& l : d.locks.held())
    inst.unload.add_driver({l.addr, l.acquire_ip, l.kind, l.class_key,
                            fmt::format("driver_unregister({})", d.name), ev.ts_ns,
                            /*module_code=*/true, ctx_.epoch});
  if (Instance* u = modules_.unloading_instance(ev.tid); u == &inst) inst.exit_began = true;
}

void Analyzer::Impl::on_refcount(const Event& ev, const EventSource& src) {
  const RefcountOp& r = ev.refcount();
  if (!r.module) return;  // try_module_get(NULL): no module involved
  Instance& inst = modules_.instance_for(r.module);
  if (inst.unloading && r.refcount == 0) inst.exit_began = true;  // try_stop_module succeeded
  Caller c = callers_.classify(r.caller_ip, src);
  if (ev.kind == EventKind::module_put)
    on_put(ev, r, inst, c);
  else
    on_get(ev, r, inst, c, src);
}

// A get: (1) its site and signature, (2) the loader's own bookkeeping leaves, (3) the rules that
// read the state before this get counts, (4) reference accounting.
void Analyzer::Impl::on_get(const Event& ev, const RefcountOp& r, Instance& inst, const Caller& c,
                            const EventSource& src) {
  bool success = ev.kind == EventKind::module_get || r.success;
  if (!success && inst.unloading) inst.exit_began = true;  // the kernel refused: GOING

  uint32_t sig = sites_.sig_for(inst.name_id, r, ev.kind, c, ev, ctx_.epoch);
  uint32_t site = sites_.sig(sig).site;
  sites_.site(site).count++;
  if (r.widen == WidenMark::held) {  // whether it hit is get-while-going's to say
    sites_.site(site).widen.gets++;
    widen_.held++;
    widen_.held_us += r.widen_us;
  } else if (r.widen == WidenMark::capped) {
    widen_.capped++;
  }

  if (c.core == CoreFn::dep_get || c.core == CoreFn::other) {
    // The module loader pinning a dependency (or other core bookkeeping): never a finding.
    sites_.site(site).tally.core++;
    if (success) {
      inst.refs.core_refs++;
      if (c.core == CoreFn::dep_get) modules_.pin_dependency(ev.tid, inst);
    }
    return;
  }

  get_while_going::on_get(ctx_, ev, inst, sig, success);

  // by-reference: the caller already pins the module: the task holds a reference, or runs code
  // of a module that depends on it (the caller itself, or a frame further up: its init calling
  // into vmlinux, which takes the reference).
  bool by_ref = inst.refs.holds(ev.tid) || (c.inst && c.inst != &inst && c.inst->pins(inst)) ||
                (c.inst != &inst &&
                 callers_.stack_runs_dependent_of(src.stacks().frames(ev.stack), inst, src));
  if (c.inst == &inst) {
    // Code inside the module itself.
    self_get::on_get(ctx_, ev, site, by_ref);
    sites_.site(site).tally.self++;
  } else if (by_ref) {
    sites_.site(site).tally.by_ref++;
  } else if (inst.unloaded) {
    // Its unload already completed (a get on a freed pointer): judge right away.
    unprotected_get::judge(ctx_, sig, 1, inst.unload.path());
  } else {
    inst.pending[sig]++;  // judged when the unload completes
  }

  if (success && !inst.freed) inst.refs.take(site, ev.tid, ev.pid);
}

// A put: (1) the loader's own bookkeeping leaves, (2) reference accounting, (3) the rules.
void Analyzer::Impl::on_put(const Event& ev, const RefcountOp& r, Instance& inst, const Caller& c) {
  if (inst.freed || inst.unloaded) return;  // forced unload aftermath: nothing left to account
  // Core bookkeeping: the initial reference and the dependency puts.
  if (!c.inst) {
    if (c.core == CoreFn::init_drop || (!c.resolved && inst.refs.initial_ref)) {
      // Without symbols, the first core put after load is do_init_module's (docs/protocol.md).
      if (inst.refs.initial_ref) {
        inst.refs.initial_ref = false;
        return;
      }
    }
    if (c.core == CoreFn::dep_put) {
      if (inst.refs.core_refs) inst.refs.core_refs--;
      return;
    }
    if (c.core == CoreFn::other) return;
  }

  int64_t released = inst.refs.release(ev.tid);
  if (put_underflow::on_put(ctx_, ev, r, inst, c, released)) return;
  self_put::on_put(ctx_, ev, r, inst, c);
}

// The unload completed: its locks become the unload path, and what waited for it is judged.
void Analyzer::Impl::commit_unload(Instance& inst) {
  if (inst.unloaded) return;
  inst.unloaded = true;
  unloads_seen_++;
  const std::vector<UnloadLockRec>& profile = inst.unload.commit();
  unprotected_get::on_unload(ctx_, inst, profile);
  get_while_going::on_unload(ctx_, inst, profile);
  profiles_.remember(inst.name_id, profile);
  // After a completed (possibly forced) unload the references are gone with the module; those
  // a failed unload saw and nobody gave back since were leaked.
  ref_leak::judge(ctx_, inst);
  inst.refs.drop_all();
}

// ---- results ----

std::vector<Finding> Analyzer::Impl::take_new_findings(const EventSource& src) {
  std::vector<Finding> out;
  for (uint32_t idx : findings_.take_new()) {
    FindingAcc& a = findings_.all()[idx];
    if (a.announced || degraded_by_loss(a, src.meta())) continue;
    // ref-leak findings are complete when created; others are announced on first occurrence.
    a.announced = true;
    out.push_back(report_.build_finding(a, src));
  }
  return out;
}

Report Analyzer::Impl::finish(const EventSource& src) {
  // Close what the trace left open: unloads, leaks, gets still waiting for an unload.
  for (auto& [ptr, inst] : modules_.instances())
    if (inst->freed && !inst->unloaded) commit_unload(*inst);
  for (auto& [ptr, inst] : modules_.instances()) ref_leak::judge(ctx_, *inst);
  for (auto& [ptr, inst] : modules_.instances()) {
    orphan_gets_.insert(orphan_gets_.end(), inst->pending.begin(), inst->pending.end());
    inst->pending.clear();
  }
  unprotected_get::judge_orphans(ctx_, orphan_gets_, profiles_, src.symbols());

  Report rep = report_.start(src, events_, unloads_seen_);
  rep.widen = widen_;
  SiteFindings named;
  report_.add_findings(rep, findings_, src, named);
  add_site_verdicts(rep, sites_, modules_, named, src.symbols());
  outstanding::collect(modules_, sites_, src.symbols(), rep);
  return rep;
}

// ---- public face ----

Analyzer::Analyzer(AnalyzerOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}
Analyzer::~Analyzer() = default;
void Analyzer::consume(const Event& ev, const EventSource& src) { impl_->consume(ev, src); }
std::vector<Finding> Analyzer::take_new_findings(const EventSource& src) {
  return impl_->take_new_findings(src);
}
Report Analyzer::finish(const EventSource& src) { return impl_->finish(src); }
uint64_t Analyzer::events() const { return impl_->events(); }

Report analyze(EventSource& src, AnalyzerOptions opts) {
  Analyzer a(std::move(opts));
  Event ev;
  while (src.next(ev)) a.consume(ev, src);
  return a.finish(src);
}

}  // namespace modrace
