// SPDX-License-Identifier: GPL-2.0-only
//
// The protocol checker. See docs/protocol.md for the rules and why each decision is made; the
// comments here say how the model maps onto events.
//
// Shape of the state (all bounded by live state):
//   - Instance: one load of a module, keyed by (pointer, load sequence). Freed instances stay
//     until a new load reuses their pointer, so a late get on a freed pointer is recognised.
//   - Site: (target module name, caller ip, op). Sig: (site, lock signature) - the unit the
//     lock rule judges, since one site can be reached with different locks held.
//   - Pending judgements: gets waiting for their module's unload to complete, per instance.
//   - Outstanding references: per instance, per get site and per holding task.
#include "analyzer/analyzer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "analyzer/hash.h"
#include "analyzer/locks.h"
#include "analyzer/module_loader.h"

namespace modrace {

using namespace checker;

// ---- the model ----

namespace {

// Refused gets seen while an unload was in progress, per sig: judged when the unload
// completes, against when its path took each lock (docs/protocol.md, get-while-going).
struct GoingGets {
  uint64_t count = 0;
  uint64_t last_ts = 0;
};

struct Holder {
  uint32_t pid = 0;
  std::vector<uint32_t> sites;  // get sites of the references this task holds, in order taken
};

struct Instance {
  uint64_t ptr = 0;
  uint32_t name_id = 0;
  uint64_t seq = 0;
  uint64_t core_start = 0, core_size = 0, init_start = 0, init_size = 0;
  bool known = true;        // a module_load was seen
  bool preexisting = false;
  ModuleState state = ModuleState::live;
  bool freed = false;
  bool unloading = false;   // a task is inside delete_module for it
  bool exit_began = false;  // refcount reached 0 / unregister seen / get refused, while unloading
  bool forced = false;
  bool unloaded = false;    // a completed unload was observed
  bool busy_failed = false;
  std::string busy_errno;  // of the last failed-busy unload
  bool initial_ref = false;  // the loader's initial reference, dropped by do_init_module
  uint32_t core_refs = 0;    // loader references taken on behalf of dependent modules
  uint64_t user_refs = 0;    // attributed references (site_refs summed)
  std::unordered_map<uint32_t, uint64_t> site_refs;
  // References outstanding at failed-busy unloads, by site (the most seen at any of them): the
  // ref-leak candidates, judged when the module goes or the trace ends (see judge_leaks).
  std::unordered_map<uint32_t, uint64_t> busy_refs;
  std::unordered_map<uint32_t, Holder> holders;  // tid -> references it took
  uint64_t idle_holders = 0;                     // entries whose sites are empty
  std::vector<UnloadLockRec> attempt_locks;      // of the delete_module in progress
  std::vector<UnloadLockRec> driver_locks;       // held at driver_unregister(owner == this)
  std::unordered_map<uint32_t, uint64_t> pending;  // sig -> gets awaiting the unload verdict
  std::unordered_map<uint32_t, GoingGets> going_gets;  // sig -> gets refused during an unload
  std::vector<std::pair<uint64_t, uint64_t>> deps;  // (ptr, seq) of modules this one pins

  // Accounting starts from a known zero only for instances loaded during the recording.
  bool exact() const { return known && !preexisting; }
  bool contains(uint64_t ip) const {
    return (ip >= core_start && ip - core_start < core_size) ||
           (ip >= init_start && ip - init_start < init_size);
  }
};

struct Site {
  uint32_t name_id = 0;  // target module
  uint64_t caller_ip = 0;
  EventKind op = EventKind::try_module_get;
  int64_t caller_mod = -1;  // name id of the module whose text holds caller_ip, -1 vmlinux
  uint64_t caller_off = 0;
  bool caller_in_init = false;
  uint64_t count = 0;
  uint64_t by_ref = 0, prot_lock = 0, prot_rcu = 0, unprotected = 0, no_unload = 0,
           lock_incomplete = 0, core = 0, self = 0, cross_instance = 0;
  HeldLock protecting{};
  bool has_protecting = false;
  HeldLock own_lock{};  // the first lock that kept a cross_instance get from a verdict
  std::vector<HeldLock> locks_seen;  // union over its sigs, capped
  // First occurrence.
  StackId stack = 0;
  uint32_t pid = 0, tid = 0;
  Comm comm{};
  uint64_t ts = 0;
};

struct Sig {
  uint32_t site = 0;
  LockContext locks;
  bool incomplete = false;
  StackId stack = 0;
  uint32_t pid = 0, tid = 0;
  Comm comm{};
  uint64_t ts = 0;
};

struct FindingAcc {
  Rule rule = Rule::unprotected_get;
  uint32_t name_id = 0;
  uint32_t site = 0;  // index into sites_ for get rules; unused for puts
  bool has_site = false;
  // For put rules (no Site record): the caller.
  uint64_t caller_ip = 0;
  int64_t caller_mod = -1;
  uint64_t caller_off = 0;
  bool caller_in_init = false;
  EventKind op = EventKind::try_module_get;
  uint64_t count = 0;
  StackId stack = 0;
  uint32_t pid = 0, tid = 0;
  Comm comm{};
  uint64_t ts = 0;
  LockContext locks;
  int32_t refcount = -1;
  std::vector<UnloadLockRec> unload_locks;
  std::string detail;
  bool loss_sensitive = false;  // lost events could explain it
  bool lock_sensitive = false;  // lost lock information could explain it
  bool announced = false;
};

struct Caller {
  Instance* inst = nullptr;  // module whose text holds the ip, nullptr for vmlinux
  CoreFn core = CoreFn::none;
  bool resolved = false;  // a symbol named the ip
};

// Where a caller ip lies in its module: which module, core or init text, offset in it (stable
// across loads, unlike the ip). For Site and FindingAcc alike.
template <class T>
void place_caller(T& t, uint64_t ip, const Caller& c) {
  if (!c.inst) return;
  t.caller_mod = c.inst->name_id;
  bool in_core = ip >= c.inst->core_start && ip - c.inst->core_start < c.inst->core_size;
  t.caller_in_init = !in_core;
  t.caller_off = ip - (in_core ? c.inst->core_start : c.inst->init_start);
}

struct TaskUnload {
  uint64_t ptr = 0, seq = 0;
};

}  // namespace

class Analyzer::Impl {
 public:
  explicit Impl(AnalyzerOptions opts) : opts_(std::move(opts)) {}

  void consume(const Event& ev, const EventSource& src);
  std::vector<Finding> take_new_findings(const EventSource& src);
  Report finish(const EventSource& src);
  uint64_t events() const { return events_; }

 private:
  // -- event handlers --
  void on_load(const Event& ev, const ModuleLoad& l);
  void on_state(const ModuleStateChange& s);
  void on_free(const ModuleFree& f);
  void on_delete_module(const Event& ev, const DeleteModule& d);
  void on_refcount(const Event& ev, const EventSource& src);
  void on_get(const Event& ev, const RefcountOp& r, Instance& inst, const Caller& c);
  void on_put(const Event& ev, const RefcountOp& r, Instance& inst, const Caller& c);
  void on_driver_unregister(const Event& ev, const DriverOp& d);
  Instance* unloading_instance(uint32_t tid);

  // -- model --
  uint32_t intern_name(std::string_view name);
  Instance& instance_for(uint64_t ptr);
  Caller classify(uint64_t ip, const EventSource& src);
  Caller classify_slow(uint64_t ip, const EventSource& src);
  void rebuild_ranges();
  uint32_t site_for(uint32_t name_id, const RefcountOp& r, EventKind op, const Caller& c,
                    const Event& ev);
  // The sig of a get: (site, lock signature), creating the site as needed. One hash lookup on
  // the hot path.
  uint32_t sig_for(uint32_t name_id, const RefcountOp& r, EventKind op, const Caller& c,
                   const Event& ev);
  int64_t release_ref(Instance& inst, uint32_t tid);
  void commit_unload(Instance& inst);
  // `earlier`: the profile is an earlier instance's unload (this one was never seen unloaded);
  // its symbols tell which held locks stay at one address across loads.
  void judge(uint32_t sig, uint64_t count, const std::vector<UnloadLockRec>& profile,
             const SymbolTable* earlier = nullptr);
  void judge_orphans(const SymbolTable& syms);
  void judge_going_gets(Instance& inst, const std::vector<UnloadLockRec>& profile);
  FindingAcc& finding(Rule rule, uint32_t name_id, uint64_t caller_ip, bool* created);
  FindingAcc& site_finding(Rule rule, uint32_t site_idx, const Event* ev);
  FindingAcc& put_finding(Rule rule, Instance& inst, const Event& ev, const RefcountOp& r,
                          const Caller& c);
  void drop_instance_refs(Instance& inst);
  void judge_leaks(Instance& inst);
  void forget_init_text(Instance& inst);

  // -- report --
  bool lossy(const EventSource& src) const;
  bool lock_lossy(const EventSource& src) const;
  std::string site_text(uint64_t ip, int64_t caller_mod, uint64_t off, bool in_init,
                        const SymbolTable& syms, std::string* function) const;
  Frame frame(uint64_t addr, const SymbolTable& syms) const;
  LockDesc lock_desc(uint64_t addr, LockKind kind, uint64_t class_key, uint64_t ip,
                     const SymbolTable& syms) const;
  Finding build_finding(const FindingAcc& a, const EventSource& src) const;
  std::string fix_for(const Finding& f, const FindingAcc& a) const;

  AnalyzerOptions opts_;
  uint64_t events_ = 0;
  uint64_t load_seq_ = 0;
  uint64_t unloads_seen_ = 0;
  uint64_t modules_seen_ = 0;

  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> name_ids_;
  std::vector<Instance*> current_by_name_;  // name id -> the live (or last) instance
  // name id -> lock set of the latest completed unload, for instances never unloaded
  std::unordered_map<uint32_t, std::vector<UnloadLockRec>> name_profile_;
  // Gets of instances that went away without an observed unload (sig, count): judged at the end
  // against the module's last unload, when the symbols of every load are known.
  std::vector<std::pair<uint32_t, uint64_t>> orphan_gets_;

  std::unordered_map<uint64_t, std::unique_ptr<Instance>> by_ptr_;
  // Direct-mapped caches for the two lookups every refcount event does.
  static constexpr size_t kInstCache = 64, kCallerCache = 1024;
  std::array<std::pair<uint64_t, Instance*>, kInstCache> inst_cache_{};
  struct CallerSlot {
    uint64_t ip = 0, gen = 0;
    Caller c;
  };
  std::vector<CallerSlot> caller_cache_ = std::vector<CallerSlot>(kCallerCache);
  uint64_t ranges_gen_ = 1;  // bumped whenever module text ranges change

  struct Range {
    uint64_t start, end;
    Instance* inst;
  };
  std::vector<Range> ranges_;  // text of live instances, sorted; then freed ones as fallback
  std::vector<Range> freed_ranges_;
  bool ranges_dirty_ = false;
  std::unordered_map<uint64_t, Caller> core_cache_;  // vmlinux ips are stable for the trace

  std::vector<Site> sites_;
  std::unordered_map<uint64_t, uint32_t> site_index_;  // hash -> first candidate
  std::vector<Sig> sigs_;
  std::unordered_map<uint64_t, uint32_t> sig_index_;

  std::vector<FindingAcc> findings_;
  std::unordered_map<uint64_t, uint32_t> finding_index_;
  std::vector<uint32_t> new_findings_;

  std::unordered_map<uint32_t, TaskUnload> unloaders_;  // tid -> module being deleted
  // tid -> modules the loader pinned for the module this task is loading (ref_module)
  std::unordered_map<uint32_t, std::vector<std::pair<uint64_t, uint64_t>>> pending_deps_;
};

// ---- names and instances ----

uint32_t Analyzer::Impl::intern_name(std::string_view name) {
  auto it = name_ids_.find(std::string(name));
  if (it != name_ids_.end()) return it->second;
  auto id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  name_ids_.emplace(std::string(name), id);
  current_by_name_.push_back(nullptr);
  return id;
}

Instance& Analyzer::Impl::instance_for(uint64_t ptr) {
  auto& slot = inst_cache_[mix64(ptr) % kInstCache];  // struct module * are 1 MiB-aligned-ish
  if (slot.first == ptr && slot.second) return *slot.second;
  auto it = by_ptr_.find(ptr);
  if (it == by_ptr_.end()) {
    // A module never seen loading (the recorder should have synthesised a preexisting load):
    // named by its pointer, accounting unknown.
    auto inst = std::make_unique<Instance>();
    inst->ptr = ptr;
    inst->known = false;
    inst->preexisting = true;
    inst->seq = ++load_seq_;
    inst->name_id = intern_name(fmt::format("0x{:x}", ptr));
    current_by_name_[inst->name_id] = inst.get();
    it = by_ptr_.emplace(ptr, std::move(inst)).first;
  }
  slot = {ptr, it->second.get()};
  return *slot.second;
}

void Analyzer::Impl::rebuild_ranges() {
  ranges_.clear();
  freed_ranges_.clear();
  for (auto& [ptr, inst] : by_ptr_) {
    auto& v = inst->freed ? freed_ranges_ : ranges_;
    if (inst->core_size) v.push_back({inst->core_start, inst->core_start + inst->core_size,
                                      inst.get()});
    if (inst->init_size) v.push_back({inst->init_start, inst->init_start + inst->init_size,
                                      inst.get()});
  }
  auto by_start = [](const Range& a, const Range& b) { return a.start < b.start; };
  std::sort(ranges_.begin(), ranges_.end(), by_start);
  std::sort(freed_ranges_.begin(), freed_ranges_.end(), by_start);
  ranges_dirty_ = false;
}

Caller Analyzer::Impl::classify(uint64_t ip, const EventSource& src) {
  auto& slot = caller_cache_[mix64(ip) % kCallerCache];
  if (slot.ip == ip && slot.gen == ranges_gen_) return slot.c;
  Caller c = classify_slow(ip, src);
  // Unresolved vmlinux ips are not cached: a live source may add symbols later.
  if (c.inst || !src.symbols().empty()) slot = {ip, ranges_gen_, c};
  return c;
}

Caller Analyzer::Impl::classify_slow(uint64_t ip, const EventSource& src) {
  if (ranges_dirty_) rebuild_ranges();
  auto find_in = [ip](const std::vector<Range>& v) -> Instance* {
    auto it = std::upper_bound(v.begin(), v.end(), ip,
                               [](uint64_t a, const Range& r) { return a < r.start; });
    if (it == v.begin()) return nullptr;
    --it;
    return ip < it->end ? it->inst : nullptr;
  };
  if (Instance* i = find_in(ranges_)) return {i, CoreFn::none, true};
  if (Instance* i = find_in(freed_ranges_)) return {i, CoreFn::none, true};
  auto it = core_cache_.find(ip);
  if (it != core_cache_.end()) return it->second;
  Caller c;
  auto r = src.symbols().resolve(ip);
  if (r.symbol && r.symbol->module.empty()) {
    c.resolved = true;
    c.core = classify_core_function(r.symbol->name);
  }
  // Only cache once symbols exist: a live source may fill its table after the first events.
  if (!src.symbols().empty()) core_cache_.emplace(ip, c);
  return c;
}

uint32_t Analyzer::Impl::site_for(uint32_t name_id, const RefcountOp& r, EventKind op,
                                  const Caller& c, const Event& ev) {
  uint64_t h = mix64(r.caller_ip ^ (uint64_t(name_id) << 40) ^ (uint64_t(op) << 56));
  for (;; h++) {
    auto it = site_index_.find(h);
    if (it == site_index_.end()) break;
    const Site& s = sites_[it->second];
    if (s.caller_ip == r.caller_ip && s.name_id == name_id && s.op == op) return it->second;
  }
  Site s;
  s.name_id = name_id;
  s.caller_ip = r.caller_ip;
  s.op = op;
  place_caller(s, r.caller_ip, c);
  s.stack = ev.stack;
  s.pid = ev.pid;
  s.tid = ev.tid;
  s.comm = ev.comm;
  s.ts = ev.ts_ns;
  auto idx = static_cast<uint32_t>(sites_.size());
  sites_.push_back(std::move(s));
  site_index_.emplace(h, idx);
  return idx;
}

uint32_t Analyzer::Impl::sig_for(uint32_t name_id, const RefcountOp& r, EventKind op,
                                 const Caller& c, const Event& ev) {
  // Only what decides protection is part of the signature: which locks (address, kind),
  // whether a grace period is blocked, whether the snapshot is complete.
  const LockContext& lc = r.locks;
  bool incomplete = lock_info_incomplete(lc);
  uint64_t h = mix64(r.caller_ip ^ (uint64_t(name_id) << 40) ^ (uint64_t(op) << 56)) ^
               (lc.blocks_grace_period() ? 0x51ull : 0) ^ (incomplete ? 0xa3ull : 0);
  for (const auto& l : lc.held()) h = mix64(h ^ l.addr ^ (uint64_t(l.kind) << 60));
  auto same = [&](const Sig& s) {
    const Site& site = sites_[s.site];
    if (site.caller_ip != r.caller_ip || site.name_id != name_id || site.op != op ||
        s.incomplete != incomplete ||
        s.locks.blocks_grace_period() != lc.blocks_grace_period() ||
        s.locks.nr_locks != lc.nr_locks)
      return false;
    for (int i = 0; i < lc.nr_locks; i++)
      if (s.locks.locks[i].addr != lc.locks[i].addr || s.locks.locks[i].kind != lc.locks[i].kind)
        return false;
    return true;
  };
  for (;; h++) {
    auto it = sig_index_.find(h);
    if (it == sig_index_.end()) break;
    if (same(sigs_[it->second])) return it->second;
  }
  uint32_t site = site_for(name_id, r, op, c, ev);
  Sig s;
  s.site = site;
  s.locks = lc;
  s.incomplete = incomplete;
  s.stack = ev.stack;
  s.pid = ev.pid;
  s.tid = ev.tid;
  s.comm = ev.comm;
  s.ts = ev.ts_ns;
  auto idx = static_cast<uint32_t>(sigs_.size());
  sigs_.push_back(std::move(s));
  sig_index_.emplace(h, idx);
  // Keep the site's union of locks for the per-site summary.
  auto& seen = sites_[site].locks_seen;
  for (const auto& l : lc.held()) {
    bool have = false;
    for (const auto& x : seen) have |= x.addr == l.addr && x.kind == l.kind;
    if (!have && seen.size() < 16) seen.push_back(l);
  }
  return idx;
}

FindingAcc& Analyzer::Impl::finding(Rule rule, uint32_t name_id, uint64_t caller_ip,
                                    bool* created) {
  uint64_t h = mix64(caller_ip ^ (uint64_t(name_id) << 40) ^ (uint64_t(rule) << 58));
  for (;; h++) {
    auto it = finding_index_.find(h);
    if (it == finding_index_.end()) break;
    auto& f = findings_[it->second];
    if (f.rule == rule && f.name_id == name_id && f.caller_ip == caller_ip) {
      *created = false;
      return f;
    }
  }
  auto idx = static_cast<uint32_t>(findings_.size());
  findings_.emplace_back();
  finding_index_.emplace(h, idx);
  new_findings_.push_back(idx);
  auto& f = findings_.back();
  f.rule = rule;
  f.name_id = name_id;
  f.caller_ip = caller_ip;
  *created = true;
  return f;
}

FindingAcc& Analyzer::Impl::site_finding(Rule rule, uint32_t site_idx, const Event* ev) {
  const Site& s = sites_[site_idx];
  bool created = false;
  auto& f = finding(rule, s.name_id, s.caller_ip, &created);
  if (created) {
    f.site = site_idx;
    f.has_site = true;
    f.caller_mod = s.caller_mod;
    f.caller_off = s.caller_off;
    f.caller_in_init = s.caller_in_init;
    f.op = s.op;
    if (ev) {
      f.stack = ev->stack;
      f.pid = ev->pid;
      f.tid = ev->tid;
      f.comm = ev->comm;
      f.ts = ev->ts_ns;
      if (auto* lc = ev->locks()) f.locks = *lc;
      if (ev->kind == EventKind::try_module_get || ev->kind == EventKind::module_get)
        f.refcount = ev->refcount().refcount;
    } else {
      f.stack = s.stack;
      f.pid = s.pid;
      f.tid = s.tid;
      f.comm = s.comm;
      f.ts = s.ts;
    }
  }
  return f;
}

FindingAcc& Analyzer::Impl::put_finding(Rule rule, Instance& inst, const Event& ev,
                                        const RefcountOp& r, const Caller& c) {
  bool created = false;
  auto& f = finding(rule, inst.name_id, r.caller_ip, &created);
  if (created) {
    f.op = ev.kind;
    place_caller(f, r.caller_ip, c);
    f.stack = ev.stack;
    f.pid = ev.pid;
    f.tid = ev.tid;
    f.comm = ev.comm;
    f.ts = ev.ts_ns;
    f.locks = r.locks;
    f.refcount = r.refcount;
  }
  return f;
}

// ---- events ----

void Analyzer::Impl::consume(const Event& ev, const EventSource& src) {
  events_++;
  switch (ev.kind) {
    case EventKind::try_module_get:
    case EventKind::module_get:
    case EventKind::module_put: on_refcount(ev, src); break;
    case EventKind::module_load: on_load(ev, std::get<ModuleLoad>(ev.data)); break;
    case EventKind::module_state: on_state(std::get<ModuleStateChange>(ev.data)); break;
    case EventKind::module_free: on_free(std::get<ModuleFree>(ev.data)); break;
    case EventKind::delete_module: on_delete_module(ev, std::get<DeleteModule>(ev.data)); break;
    case EventKind::driver_register: break;
    case EventKind::driver_unregister: on_driver_unregister(ev, ev.driver()); break;
    case EventKind::unload_lock:
      if (Instance* inst = unloading_instance(ev.tid)) {
        const auto& u = std::get<UnloadLock>(ev.data);
        UnloadLockRec rec{u.lock, u.ip, u.kind, u.class_key, "delete_module", ev.ts_ns};
        // The innermost frame in module text says which module code took it (seed_drv's exit
        // calling seed_core's unregister function).
        for (uint64_t pc : src.stacks().frames(ev.stack))
          if (classify(pc, src).inst) {
            rec.via = src.symbols().format(pc);
            rec.module_code = true;
            break;
          }
        add_unique(inst->attempt_locks, rec);
      }
      break;
    case EventKind::unload_rcu_sync:
      // Recorded for completeness: free_module always waits for a grace period, so a
      // completed unload is what the RCU variant relies on (docs/protocol.md).
      break;
  }
}

void Analyzer::Impl::on_load(const Event& ev, const ModuleLoad& l) {
  auto inst = std::make_unique<Instance>();
  inst->ptr = l.module;
  inst->seq = ++load_seq_;
  inst->name_id = intern_name(l.name);
  inst->core_start = l.core_text_start;
  inst->core_size = l.core_text_size;
  inst->init_start = l.init_text_start;
  inst->init_size = l.init_text_size;
  inst->preexisting = l.preexisting;
  // try_module_get succeeds on COMING modules; module_load fires in COMING just before init.
  inst->state = l.preexisting ? ModuleState::live : ModuleState::coming;
  inst->initial_ref = !l.preexisting;
  if (auto it = pending_deps_.find(ev.tid); it != pending_deps_.end()) {
    inst->deps = std::move(it->second);
    pending_deps_.erase(it);
  }
  modules_seen_++;
  // Another module's init text where this one's text now lies was freed (do_init_module frees
  // it once the module is LIVE): without the LIVE transition in the trace, this is how we learn.
  auto overlaps = [](uint64_t a, uint64_t an, uint64_t b, uint64_t bn) {
    return an && bn && a < b + bn && b < a + an;
  };
  for (auto& [ptr, other] : by_ptr_)
    if (overlaps(other->init_start, other->init_size, inst->core_start, inst->core_size) ||
        overlaps(other->init_start, other->init_size, inst->init_start, inst->init_size))
      forget_init_text(*other);
  auto it = by_ptr_.find(l.module);
  if (it != by_ptr_.end()) {
    // Pointer reuse: the old instance is gone for good. Its verdicts were taken at its unload;
    // what is still pending is judged at the end against the module's last unload.
    Instance& old = *it->second;
    if (old.freed && !old.unloaded) commit_unload(old);
    orphan_gets_.insert(orphan_gets_.end(), old.pending.begin(), old.pending.end());
    if (current_by_name_[old.name_id] == &old) current_by_name_[old.name_id] = nullptr;
    for (auto u = unloaders_.begin(); u != unloaders_.end();)
      u = (u->second.ptr == old.ptr && u->second.seq == old.seq) ? unloaders_.erase(u) : ++u;
    it->second = std::move(inst);
  } else {
    it = by_ptr_.emplace(l.module, std::move(inst)).first;
  }
  current_by_name_[it->second->name_id] = it->second.get();
  inst_cache_.fill({0, nullptr});
  ranges_dirty_ = true;
  ranges_gen_++;
}

void Analyzer::Impl::on_state(const ModuleStateChange& s) {
  Instance& inst = instance_for(s.module);
  inst.state = s.state;
  if (s.state == ModuleState::live) forget_init_text(inst);
  if (s.state == ModuleState::live && inst.initial_ref && inst.exact()) {
    // Nothing to do: do_init_module drops the initial reference right after going LIVE.
  }
}

// The kernel frees a module's init text once it is LIVE, and the next module loaded may get
// that memory for its own text: an ip there must not be taken for the first module's code
// (seed-selfput's release was once blamed on seed_core, whose init seed_drv's text reused).
void Analyzer::Impl::forget_init_text(Instance& inst) {
  if (!inst.init_size) return;
  inst.init_start = inst.init_size = 0;
  ranges_dirty_ = true;
  ranges_gen_++;
}

void Analyzer::Impl::on_free(const ModuleFree& f) {
  Instance& inst = instance_for(f.module);
  inst.freed = true;
  inst.state = ModuleState::going;
  ranges_dirty_ = true;
  ranges_gen_++;
  // A free with no delete_module in progress is a failed init: nothing else will complete
  // the unload, so take the verdict now. Otherwise delete_module's exit does it, so that the
  // locks free_module takes are part of the unload path.
  if (!inst.unloading) commit_unload(inst);
}

Instance* Analyzer::Impl::unloading_instance(uint32_t tid) {
  auto it = unloaders_.find(tid);
  if (it == unloaders_.end()) return nullptr;
  auto p = by_ptr_.find(it->second.ptr);
  if (p == by_ptr_.end() || p->second->seq != it->second.seq) return nullptr;
  return p->second.get();
}

void Analyzer::Impl::on_delete_module(const Event& ev, const DeleteModule& d) {
  if (d.phase == Phase::enter) {
    auto n = name_ids_.find(d.name);
    if (n == name_ids_.end()) return;  // a module we know nothing about (or a typo)
    Instance* inst = current_by_name_[n->second];
    if (!inst || inst->freed) return;
    inst->unloading = true;
    inst->exit_began = false;
    inst->forced = (d.flags & kOTrunc) != 0;
    inst->attempt_locks.clear();
    unloaders_[ev.tid] = {inst->ptr, inst->seq};
    return;
  }
  Instance* inst = unloading_instance(ev.tid);
  unloaders_.erase(ev.tid);
  if (!inst) return;
  inst->unloading = false;
  if (d.ret == 0) {
    commit_unload(*inst);
    return;
  }
  inst->exit_began = false;
  inst->attempt_locks.clear();  // a failed unload ran no exit path and proves nothing
  inst->going_gets.clear();
  if (d.ret != -kEBUSY && d.ret != -kEWOULDBLOCK) return;
  inst->busy_failed = true;
  inst->busy_errno = d.ret == -kEBUSY ? "-EBUSY" : "-EWOULDBLOCK";
  // ref-leak candidates: every attributed reference outstanding now, by the site that took it.
  // Not findings yet: an open in progress holds its reference for a moment and a busy rmmod is
  // then the kernel doing its job. What is still held when the module goes or the trace ends
  // was never given back (judge_leaks).
  for (auto& [site, n] : inst->site_refs) inst->busy_refs[site] = std::max(inst->busy_refs[site], n);
}

void Analyzer::Impl::judge_leaks(Instance& inst) {
  for (auto& [site, n_busy] : inst.busy_refs) {
    auto it = inst.site_refs.find(site);
    if (it == inst.site_refs.end()) continue;  // all given back since: not a leak
    auto& f = site_finding(Rule::ref_leak, site, nullptr);
    f.count = std::max(f.count, std::min(n_busy, it->second));
    f.loss_sensitive = true;
    f.detail = inst.busy_errno;
  }
  inst.busy_refs.clear();
}

void Analyzer::Impl::on_driver_unregister(const Event& ev, const DriverOp& d) {
  if (!d.owner) return;
  Instance& inst = instance_for(d.owner);
  if (d.phase != Phase::enter) return;
  for (const auto& l : d.locks.held())
    add_unique(inst.driver_locks,
               {l.addr, l.acquire_ip, l.kind, l.class_key, fmt::format("driver_unregister({})", d.name),
                ev.ts_ns, /*module_code=*/true});
  if (Instance* u = unloading_instance(ev.tid); u == &inst) inst.exit_began = true;
}

void Analyzer::Impl::on_refcount(const Event& ev, const EventSource& src) {
  const RefcountOp& r = ev.refcount();
  if (!r.module) return;  // try_module_get(NULL): no module involved
  Instance& inst = instance_for(r.module);
  if (inst.unloading && r.refcount == 0) inst.exit_began = true;  // try_stop_module succeeded
  Caller c = classify(r.caller_ip, src);
  if (ev.kind == EventKind::module_put)
    on_put(ev, r, inst, c);
  else
    on_get(ev, r, inst, c);
}

void Analyzer::Impl::on_get(const Event& ev, const RefcountOp& r, Instance& inst,
                            const Caller& c) {
  bool success = ev.kind == EventKind::module_get || r.success;
  if (!success && inst.unloading) inst.exit_began = true;  // the kernel refused: GOING

  uint32_t sig = sig_for(inst.name_id, r, ev.kind, c, ev);
  uint32_t site = sigs_[sig].site;
  Site* s = &sites_[site];
  s->count++;

  if (c.core == CoreFn::dep_get || c.core == CoreFn::other) {
    // The module loader pinning a dependency (or other core bookkeeping): never a finding.
    s->core++;
    if (success) {
      inst.core_refs++;
      if (c.core == CoreFn::dep_get) pending_deps_[ev.tid].push_back({inst.ptr, inst.seq});
    }
    return;
  }

  // get-while-going: the race window was actually hit. GOING is announced (module_state)
  // after the exit ran, so any get after it, or after module_free, found a stale object. A get
  // refused during the unload, before that, is the kernel doing its job - unless the unload
  // path had already been through the get's lock, or the get holds nothing the unload path
  // takes: decided when the unload completes (judge_going_gets).
  const char* going = inst.freed                            ? "after module_free"
                      : inst.state == ModuleState::going    ? "after its exit ran (GOING announced)"
                      : success && inst.exit_began          ? "while its unload was running"
                                                            : nullptr;
  if (going) {
    auto& f = site_finding(Rule::get_while_going, site, &ev);
    f.count++;
    f.loss_sensitive = true;
    if (f.detail.empty()) f.detail = going;
    s = &sites_[site];
  } else if (!success && inst.unloading) {
    auto& g = inst.going_gets[sig];
    g.count++;
    g.last_ts = ev.ts_ns;
    s = &sites_[site];
  }

  // by-reference: the caller already pins the module.
  bool by_ref = false;
  if (auto h = inst.holders.find(ev.tid); h != inst.holders.end() && !h->second.sites.empty())
    by_ref = true;
  else if (c.inst && c.inst != &inst)
    for (auto& d : c.inst->deps) by_ref |= d.first == inst.ptr && d.second == inst.seq;

  if (c.inst == &inst) {
    // Code inside the module itself. For try_module_get that is self-get; for __module_get
    // (documented as "you must already hold a reference") it is the usual THIS_MODULE pin.
    if (ev.kind == EventKind::try_module_get) {
      auto& f = site_finding(Rule::self_get, site, &ev);
      f.count++;
      if (by_ref && f.detail.empty()) f.detail = "the task already held a reference";
    }
    sites_[site].self++;
  } else if (by_ref) {
    s->by_ref++;
  } else if (inst.unloaded) {
    // Its unload already completed (a get on a freed pointer): judge right away.
    judge(sig, 1, inst.attempt_locks);  // == its unload path
  } else {
    inst.pending[sig]++;
  }

  if (success && !inst.freed) {
    inst.user_refs++;
    inst.site_refs[site]++;
    auto& h = inst.holders[ev.tid];
    if (h.sites.empty() && h.pid) inst.idle_holders--;
    h.pid = ev.pid;
    h.sites.push_back(site);
    // Tasks that held and released are kept (no allocation churn on every open/close) until
    // they are the majority; then swept, so memory stays bounded by live references.
    if (inst.idle_holders > 1024 && inst.idle_holders * 2 > inst.holders.size()) {
      std::erase_if(inst.holders, [](const auto& kv) { return kv.second.sites.empty(); });
      inst.idle_holders = 0;
    }
  }
}

int64_t Analyzer::Impl::release_ref(Instance& inst, uint32_t tid) {
  auto dec_site = [&inst](uint32_t site) {
    auto it = inst.site_refs.find(site);
    if (--it->second == 0) inst.site_refs.erase(it);
    inst.user_refs--;
  };
  // The task's own latest reference first (the common open/close pairing).
  if (auto h = inst.holders.find(tid); h != inst.holders.end() && !h->second.sites.empty()) {
    uint32_t site = h->second.sites.back();
    h->second.sites.pop_back();
    inst.idle_holders += h->second.sites.empty();
    dec_site(site);
    return site;
  }
  if (inst.user_refs == 0) return -1;
  // Another task's reference (fput from a worker, a put in a completion...). Which one is a
  // guess: the site with the fewest outstanding, so that a leaking site keeps its count.
  uint32_t best = 0;
  uint64_t best_n = UINT64_MAX;
  for (auto& [site, n] : inst.site_refs)
    if (n < best_n || (n == best_n && site < best)) best = site, best_n = n;
  for (auto h = inst.holders.begin(); h != inst.holders.end(); ++h) {
    auto& v = h->second.sites;
    auto it = std::find(v.begin(), v.end(), best);
    if (it == v.end()) continue;
    v.erase(it);
    inst.idle_holders += v.empty();
    break;
  }
  dec_site(best);
  return best;
}

void Analyzer::Impl::on_put(const Event& ev, const RefcountOp& r, Instance& inst,
                            const Caller& c) {
  if (inst.freed || inst.unloaded) return;  // forced unload aftermath: nothing left to account
  // Core bookkeeping: the initial reference and the dependency puts.
  if (!c.inst) {
    if (c.core == CoreFn::init_drop || (!c.resolved && inst.initial_ref)) {
      // Without symbols, the first core put after load is do_init_module's (docs/protocol.md).
      if (inst.initial_ref) {
        inst.initial_ref = false;
        return;
      }
    }
    if (c.core == CoreFn::dep_put) {
      if (inst.core_refs) inst.core_refs--;
      return;
    }
    if (c.core == CoreFn::other) return;
  }

  int64_t released = release_ref(inst, ev.tid);

  // put-underflow: the kernel's own count when present (no loss can explain it), else our
  // accounting when it is exact.
  bool underflow = false, from_field = false;
  // While M's delete_module runs, try_release_module_ref has subtracted MODULE_REF_BASE: a user's
  // put racing with it legitimately leaves the raw counter at 0 (the unload then succeeds). Only
  // our own accounting can judge such a put.
  const bool base_claimed = r.refcount == 0 && inst.unloading;
  if (r.refcount >= 0 && !base_claimed) {
    underflow = r.refcount < kRefBase;
    from_field = true;
  } else {
    underflow = released < 0 && inst.exact() && !inst.initial_ref && inst.core_refs == 0;
  }
  if (underflow) {
    auto& f = put_finding(Rule::put_underflow, inst, ev, r, c);
    f.count++;
    f.loss_sensitive |= !from_field;
    return;
  }

  if (c.inst != &inst) return;
  // self-put: the module's own code dropped what may be the last reference.
  bool last = false;
  if (r.refcount >= 0)
    last = r.refcount <= kRefBase;
  else
    last = inst.exact() && inst.user_refs == 0 && inst.core_refs == 0 && !inst.initial_ref;
  // References left but all taken by other tasks are not enough: the putting call chain often
  // releases one of them itself right after (loop: __loop_clr_fd inside blkdev_put). See
  // docs/protocol.md, self-put.
  if (!last) return;
  auto& f = put_finding(Rule::self_put, inst, ev, r, c);
  f.count++;
  if (f.detail.empty()) f.detail = "dropped the last reference";
  f.loss_sensitive |= r.refcount < 0;
}

// ---- unload verdicts ----

void Analyzer::Impl::commit_unload(Instance& inst) {
  if (inst.unloaded) return;
  inst.unloaded = true;
  unloads_seen_++;
  std::vector<UnloadLockRec> profile = inst.attempt_locks;
  for (const auto& l : inst.driver_locks) add_unique(profile, l);
  inst.attempt_locks = profile;  // kept as this instance's unload path
  for (auto& [sig, n] : inst.pending) judge(sig, n, profile);
  inst.pending.clear();
  judge_going_gets(inst, profile);
  name_profile_[inst.name_id] = std::move(profile);
  drop_instance_refs(inst);
}

void Analyzer::Impl::drop_instance_refs(Instance& inst) {
  // After a completed (possibly forced) unload the references are gone with the module; those
  // a failed unload saw and nobody gave back since were leaked.
  judge_leaks(inst);
  inst.site_refs.clear();
  inst.holders.clear();
  inst.idle_holders = 0;
  inst.user_refs = 0;
}

// The finding of a get site, described by the signature (task, stack, locks) that showed it.
void describe_get(FindingAcc& f, const Sig& sig, const Site& site,
                  const std::vector<UnloadLockRec>& profile) {
  f.site = sig.site;
  f.has_site = true;
  f.caller_mod = site.caller_mod;
  f.caller_off = site.caller_off;
  f.caller_in_init = site.caller_in_init;
  f.op = site.op;
  f.stack = sig.stack;
  f.pid = sig.pid;
  f.tid = sig.tid;
  f.comm = sig.comm;
  f.ts = sig.ts;
  f.locks = sig.locks;
  f.unload_locks = profile;
}

// Whether a lock is at the same address in every instance of module `mod`: a static of vmlinux or
// of another module. Locks in the module's own data, or in objects allocated for this load (a
// disk's open_mutex), move with each load.
bool same_in_every_load(const HeldLock& l, const std::string& mod, const SymbolTable& syms) {
  const KernelSymbol* sym = syms.data_symbol(l.addr);
  return sym && sym->module != mod;
}

void Analyzer::Impl::judge(uint32_t sig_idx, uint64_t count,
                           const std::vector<UnloadLockRec>& profile, const SymbolTable* earlier) {
  const Sig& sig = sigs_[sig_idx];
  Site& site = sites_[sig.site];
  // A shared lock is named first (the more useful verdict: read_lock(file_systems_lock) both
  // disables preemption and excludes unregister_filesystem's write_lock).
  if (const HeldLock* l = shared_lock(sig.locks, profile)) {
    site.prot_lock += count;
    if (!site.has_protecting) site.protecting = *l, site.has_protecting = true;
    return;
  }
  // RCU variant: free_module waits for a grace period before freeing module memory, so a get
  // that blocks grace periods cannot see the memory freed under it.
  if (sig.locks.blocks_grace_period()) {
    site.prot_rcu += count;
    return;
  }
  if (sig.incomplete) {
    site.lock_incomplete += count;
    return;
  }
  // Against an earlier load's unload, a lock of this load's own cannot have been in that path at
  // this address: whether the unload takes it is unknown, not "no".
  if (earlier)
    for (const auto& h : sig.locks.held())
      if (!same_in_every_load(h, names_[site.name_id], *earlier)) {
        if (!site.cross_instance) site.own_lock = h;
        site.cross_instance += count;
        return;
      }
  site.unprotected += count;
  bool created = false;
  auto& f = finding(Rule::unprotected_get, site.name_id, site.caller_ip, &created);
  if (created) {
    describe_get(f, sig, site, profile);
    f.loss_sensitive = true;
    f.lock_sensitive = true;
    if (earlier) f.detail = "judged against an earlier unload of the module";
  }
  f.count += count;
}

// Gets on instances never seen unloaded: judged against the module's last unload (another load of
// it), or unverified when it was never unloaded at all.
void Analyzer::Impl::judge_orphans(const SymbolTable& syms) {
  for (auto [sig, n] : orphan_gets_) {
    Site& site = sites_[sigs_[sig].site];
    auto p = name_profile_.find(site.name_id);
    if (p != name_profile_.end())
      judge(sig, n, p->second, &syms);
    else
      site.no_unload += n;
  }
  orphan_gets_.clear();
}

void Analyzer::Impl::judge_going_gets(Instance& inst, const std::vector<UnloadLockRec>& profile) {
  for (auto& [sig_idx, g] : inst.going_gets) {
    const Sig& sig = sigs_[sig_idx];
    std::string detail;
    const UnloadLockRec* u = nullptr;
    if (const HeldLock* l = shared_lock(sig.locks, profile, &u)) {
      // Protected by L only if the unload path had not been through L yet: otherwise the
      // object was found before L was taken, and the unregister already unlinked it.
      if (u->ts == 0 || u->ts >= g.last_ts) continue;
      (void)l;
      detail = "after the unload path had already taken (and released) a lock this get holds: "
               "the object was looked up before the lock was taken";
    } else if (sig.locks.blocks_grace_period() || sig.incomplete) {
      continue;  // RCU reader: the unregister waits for it; incomplete: cannot tell
    } else {
      detail = "while it was being unloaded, holding no lock its unload path takes";
    }
    const Site& site = sites_[sig.site];
    bool created = false;
    auto& f = finding(Rule::get_while_going, site.name_id, site.caller_ip, &created);
    if (created) {
      describe_get(f, sig, site, profile);
      f.loss_sensitive = true;
      // Both details rest on the held-lock set: a lost release leaves a stale lock in it (dated
      // before the unload), a lost acquire hides the lock that made the get legitimate.
      f.lock_sensitive = true;
      f.detail = detail;
    }
    f.count += g.count;
  }
  inst.going_gets.clear();
}

// ---- findings as the user sees them ----

bool Analyzer::Impl::lossy(const EventSource& src) const {
  return src.meta().drops.lost_events() > 0;
}

bool Analyzer::Impl::lock_lossy(const EventSource& src) const {
  return src.meta().drops.lost_lock_info() > 0;
}

std::string Analyzer::Impl::site_text(uint64_t ip, int64_t caller_mod, uint64_t off,
                                      bool in_init, const SymbolTable& syms,
                                      std::string* function) const {
  // Symbolized, never raw, where possible: the id built from it must survive reboots (KASLR).
  auto r = syms.resolve(ip);
  if (r.symbol) {
    if (function) *function = r.symbol->name;
    if (r.symbol->module.empty()) return fmt::format("{}+0x{:x}", r.symbol->name, r.offset);
    return fmt::format("{}+0x{:x} [{}]", r.symbol->name, r.offset, r.symbol->module);
  }
  if (caller_mod >= 0)  // module-relative: stable across loads even without symbols
    return fmt::format("{}+0x{:x} [{}]", in_init ? ".init.text" : ".text", off,
                       names_[caller_mod]);
  return fmt::format("0x{:x}", ip);
}

Frame Analyzer::Impl::frame(uint64_t addr, const SymbolTable& syms) const {
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

LockDesc Analyzer::Impl::lock_desc(uint64_t addr, LockKind kind, uint64_t class_key, uint64_t ip,
                                   const SymbolTable& syms) const {
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

std::string Analyzer::Impl::fix_for(const Finding& f, const FindingAcc& a) const {
  const std::string fn = f.function.empty() ? f.site : f.function;
  switch (f.rule) {
    case Rule::unprotected_get:
    case Rule::get_while_going: {
      // Suggest a lock the module's own unregister path takes (taken by module code, not by the
      // loader or core teardown), preferring a named whole object (not a field: "x+0x50") and a
      // sleeping lock, as subsystems guard their lists with; ties go to the first taken.
      auto rank = [](const LockDesc& l) {
        int r = 0;
        if (l.module_code) r += 8;
        if (l.is_static && l.name.find('+') == std::string::npos) r += 4;
        if (l.kind == LockKind::mutex || l.kind == LockKind::rwsem_write) r += 2;
        if (l.name == "module_mutex") r = -1;  // the loader's own lock
        return r;
      };
      const LockDesc* best = nullptr;
      for (const auto& l : f.unload_locks)
        if (rank(l) >= 0 && (!best || rank(l) > rank(*best))) best = &l;
      if (best)
        return fmt::format("take {} around the lookup and the {} in {} (the unload path of {} "
                           "takes it, at {}), as misc_open does with misc_mtx",
                           best->name, f.op, fn, f.module,
                           best->acquired_at.empty() ? best->via : best->acquired_at);
      return fmt::format("hold the lock that protects the list {} is looked up on, and take the "
                         "same lock in the unregister path of {}; or do the lookup and the {} "
                         "under rcu_read_lock() and unlink with list_del_rcu() before unload "
                         "(free_module waits for a grace period), as __sock_create does",
                         fn, f.module, f.op);
    }
    case Rule::self_get:
      return fmt::format("take the reference outside {} (set .owner = THIS_MODULE and let the "
                         "caller's subsystem pin it), or drop the get if a reference is "
                         "already held",
                         f.module);
    case Rule::self_put:
      return fmt::format("do not drop the reference from {}'s own code: let the subsystem put it "
                         "after the callback returns (.owner = THIS_MODULE), or use "
                         "module_put_and_kthread_exit() in a kthread",
                         f.module);
    case Rule::ref_leak:
      return fmt::format("put the reference taken in {} on every path (release, error paths)",
                         fn);
    case Rule::put_underflow:
      return fmt::format("balance the gets and puts on {}: this put in {} has no matching get",
                         f.module, fn);
    case Rule::outstanding: return "";
  }
  (void)a;
  return "";
}

Finding Analyzer::Impl::build_finding(const FindingAcc& a, const EventSource& src) const {
  const SymbolTable& syms = src.symbols();
  Finding f;
  f.rule = a.rule;
  f.severity = severity_of(a.rule);
  f.module = names_[a.name_id];
  f.site = site_text(a.caller_ip, a.caller_mod, a.caller_off, a.caller_in_init, syms,
                     &f.function);
  f.op = a.op == EventKind::try_module_get ? "try_module_get"
         : a.op == EventKind::module_get   ? "__module_get"
                                           : "module_put";
  f.id = finding_id(a.rule, f.module, f.site);
  f.count = a.count;
  for (uint64_t pc : src.stacks().frames(a.stack)) f.stack.push_back(frame(pc, syms));
  if (a.stack == 0) f.stack.push_back(frame(a.caller_ip, syms));
  for (const auto& l : a.locks.held()) f.locks_held.push_back(lock_desc(l.addr, l.kind, l.class_key, l.acquire_ip, syms));
  f.lock_context = lock_context_text(a.locks);
  for (const auto& u : a.unload_locks) {
    auto d = lock_desc(u.addr, u.kind, u.class_key, u.ip, syms);
    d.via = u.via;
    d.ts = u.ts;
    d.module_code = u.module_code;
    // A lock that is a module's own static object (seed_core's seed_driver_lock) is the
    // subsystem's: the unload took it in that module's unregister code. This also covers fentry
    // lock probes, whose stacks do not always unwind past the BPF trampoline to the module frame.
    if (auto r = syms.resolve(u.addr); !d.module_code && r.symbol && !r.symbol->module.empty() &&
                                       d.is_static)
      d.module_code = true;
    f.unload_locks.push_back(std::move(d));
  }
  // The unregister path's own locks first: they are what the reader and the fix care about.
  std::stable_sort(f.unload_locks.begin(), f.unload_locks.end(),
                   [](const LockDesc& a, const LockDesc& b) {
                     if (a.module_code != b.module_code) return a.module_code;
                     return a.ts < b.ts;
                   });
  f.comm = std::string(a.comm.data(), strnlen(a.comm.data(), a.comm.size()));
  f.pid = a.pid;
  f.tid = a.tid;
  f.first_ts_ns = a.ts;
  f.refcount = a.refcount;
  const std::string fn = f.function.empty() ? f.site : f.function;
  switch (a.rule) {
    case Rule::unprotected_get: {
      std::string held;
      for (size_t i = 0; i < f.locks_held.size(); i++)
        held += (i ? ", " : "") + f.locks_held[i].name;
      f.message = fmt::format(
          "{} took a reference on {} with {}() holding {}, none of which {}'s unload path "
          "takes, and without blocking RCU grace periods: {} can be unloaded and freed between "
          "the lookup of its object and the get{}.",
          fn, f.module, f.op, held.empty() ? "no lock" : "only " + held, f.module, f.module,
          a.detail.empty() ? "" : " (" + a.detail + ")");
      break;
    }
    case Rule::self_get:
      f.message = fmt::format(
          "{} (inside {}) called try_module_get() on its own module: nothing pins {} while "
          "this code runs, so the get cannot stop an unload that is already under way{}.",
          fn, f.module, f.module, a.detail.empty() ? "" : " (" + a.detail + ")");
      break;
    case Rule::self_put:
      f.message = fmt::format(
          "{} (inside {}) called module_put() on its own module and {}{}: {} can be unloaded "
          "and its text freed while {} is still executing.",
          fn, f.module, a.detail,
          a.refcount >= 0 ? fmt::format(" (refcnt {} after the put)", a.refcount) : "", f.module,
          fn);
      break;
    case Rule::ref_leak: {
      f.message = fmt::format(
          "unloading {} failed with {} while {} reference(s) taken by {}() in {} were "
          "still held.",
          f.module, a.detail, a.count, f.op, fn);
      f.refs.push_back({f.site, f.function, a.count});
      break;
    }
    case Rule::get_while_going:
      f.message = fmt::format(
          "{} called {}() on {} {}: the unload race window was actually hit. The object the get "
          "was looked up through belongs to a module on its way out; only timing kept its "
          "memory valid.",
          fn, f.op, f.module, a.detail);
      break;
    case Rule::put_underflow:
      f.message = fmt::format("{} called module_put() on {} with no reference outstanding{}.", fn,
                              f.module,
                              a.refcount >= 0 ? fmt::format(" (refcnt {} after the put)", a.refcount)
                                              : "");
      break;
    case Rule::outstanding: break;
  }
  f.fix = fix_for(f, a);
  return f;
}

std::vector<Finding> Analyzer::Impl::take_new_findings(const EventSource& src) {
  std::vector<Finding> out;
  std::vector<uint32_t> keep;
  for (uint32_t idx : new_findings_) {
    FindingAcc& a = findings_[idx];
    if (a.announced) continue;
    if ((a.loss_sensitive && lossy(src)) || (a.lock_sensitive && lock_lossy(src))) continue;
    // ref-leak findings are complete when created; others are announced on first occurrence.
    a.announced = true;
    out.push_back(build_finding(a, src));
  }
  new_findings_.clear();
  return out;
}

Report Analyzer::Impl::finish(const EventSource& src) {
  // Close what the trace left open.
  for (auto& [ptr, inst] : by_ptr_)
    if (inst->freed && !inst->unloaded) commit_unload(*inst);
  for (auto& [ptr, inst] : by_ptr_) judge_leaks(*inst);
  for (auto& [ptr, inst] : by_ptr_) {
    orphan_gets_.insert(orphan_gets_.end(), inst->pending.begin(), inst->pending.end());
    inst->pending.clear();
  }
  judge_orphans(src.symbols());

  Report rep;
  const TraceMeta& meta = src.meta();
  const SymbolTable& syms = src.symbols();
  rep.meta = meta;
  rep.events = events_;
  rep.lost_events = meta.drops.lost_events();
  rep.modules_seen = modules_seen_;
  rep.unloads_seen = unloads_seen_;
  if (rep.lost_events)
    rep.incomplete_why.push_back(fmt::format(
        "{} events were lost (ring buffer full): verdicts that lost events could explain are "
        "listed as unverified, not as findings",
        rep.lost_events));
  if (meta.truncated)
    rep.incomplete_why.push_back(
        fmt::format("the trace is truncated at offset {}{}", meta.truncated_at_offset,
                    meta.truncation_reason.empty() ? "" : ": " + meta.truncation_reason));
  rep.complete = rep.incomplete_why.empty();
  const bool lossy_now = rep.lost_events > 0;
  const bool lock_lossy_now = meta.drops.lost_lock_info() > 0;
  rep.lock_info_complete = !lock_lossy_now;

  // Findings, merged by id (one symbolized site can have several addresses across reloads).
  std::unordered_map<std::string, size_t> by_id;
  std::unordered_map<uint32_t, std::string> site_finding_id;  // site idx -> best finding id
  auto rank = [](Rule r) {
    return r == Rule::unprotected_get ? 3 : r == Rule::get_while_going ? 2 : 1;
  };
  std::unordered_map<uint32_t, Rule> site_finding_rule;
  for (const auto& a : findings_) {
    bool degraded = (a.loss_sensitive && lossy_now) || (a.lock_sensitive && lock_lossy_now);
    Finding f = build_finding(a, src);
    if (degraded) {
      rep.unverified.push_back(
          {a.rule, f.module, f.site, f.count,
           a.lock_sensitive && lock_lossy_now
               ? "lock information was lost (lock_table/task_storage/lock_recursion drops)"
               : "events were lost: the verdict could be explained by a lost event"});
      continue;
    }
    if (a.has_site && (!site_finding_rule.count(a.site) ||
                       rank(a.rule) > rank(site_finding_rule[a.site])) &&
        a.rule != Rule::ref_leak) {
      site_finding_rule[a.site] = a.rule;
      site_finding_id[a.site] = f.id;
    }
    auto it = by_id.find(f.id);
    if (it == by_id.end()) {
      by_id.emplace(f.id, rep.findings.size());
      rep.findings.push_back(std::move(f));
    } else {
      auto& g = rep.findings[it->second];
      if (a.rule == Rule::ref_leak) {
        g.count = std::max(g.count, f.count);
        g.refs[0].count = g.count;
      } else {
        g.count += f.count;
      }
    }
  }
  std::stable_sort(rep.findings.begin(), rep.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     if (a.severity != b.severity) return a.severity > b.severity;
                     if (a.module != b.module) return a.module < b.module;
                     if (a.rule != b.rule) return a.rule < b.rule;
                     return a.site < b.site;
                   });

  // Sites: every get site, merged by (module, symbolized site, op).
  struct Agg {
    SiteReport r;
    uint64_t by_ref = 0, prot_lock = 0, prot_rcu = 0, unprotected = 0, no_unload = 0,
             lock_incomplete = 0, core = 0, self = 0, cross_instance = 0;
    std::string protecting, own_lock;
    std::string finding;
    int finding_rank = 0;
  };
  std::vector<Agg> aggs;
  std::unordered_map<std::string, size_t> agg_index;
  for (uint32_t i = 0; i < sites_.size(); i++) {
    const Site& s = sites_[i];
    std::string fn;
    std::string text = site_text(s.caller_ip, s.caller_mod, s.caller_off, s.caller_in_init,
                                 syms, &fn);
    std::string op = s.op == EventKind::try_module_get ? "try_module_get" : "__module_get";
    std::string key = names_[s.name_id] + '\0' + text + '\0' + op;
    auto [it, fresh] = agg_index.emplace(key, aggs.size());
    if (fresh) {
      aggs.emplace_back();
      aggs.back().r.module = names_[s.name_id];
      aggs.back().r.site = text;
      aggs.back().r.function = fn;
      aggs.back().r.op = op;
    }
    Agg& g = aggs[it->second];
    g.r.count += s.count;
    g.by_ref += s.by_ref;
    g.prot_lock += s.prot_lock;
    g.prot_rcu += s.prot_rcu;
    g.unprotected += s.unprotected;
    g.no_unload += s.no_unload;
    g.cross_instance += s.cross_instance;
    g.lock_incomplete += s.lock_incomplete;
    g.core += s.core;
    g.self += s.self;
    if (s.cross_instance && g.own_lock.empty())
      g.own_lock = lock_desc(s.own_lock.addr, s.own_lock.kind, s.own_lock.class_key, 0, syms).name;
    if (s.has_protecting && g.protecting.empty())
      g.protecting =
          lock_desc(s.protecting.addr, s.protecting.kind, s.protecting.class_key, 0, syms).name;
    for (const auto& l : s.locks_seen) {
      auto name = lock_desc(l.addr, l.kind, l.class_key, 0, syms).name;
      if (std::find(g.r.locks_held.begin(), g.r.locks_held.end(), name) == g.r.locks_held.end())
        g.r.locks_held.push_back(name);
    }
    if (auto f = site_finding_id.find(i); f != site_finding_id.end()) {
      int rk = rank(site_finding_rule[i]);
      if (rk > g.finding_rank) g.finding = f->second, g.finding_rank = rk;
    }
  }
  for (auto& g : aggs) {
    SiteReport& r = g.r;
    if (!g.finding.empty()) {
      r.verdict = SiteVerdict::finding;
      r.finding_id = g.finding;
    } else if (g.unprotected || g.lock_incomplete || g.cross_instance || g.no_unload) {
      r.verdict = SiteVerdict::unverified;
      if (g.unprotected)
        r.reason = "no lock shared with the unload path, but events or lock information were "
                   "lost (incomplete)";
      else if (g.lock_incomplete)
        r.reason = "lock information incomplete at the get (truncated snapshot, interrupt "
                   "context or lock tracking off) and the captured locks do not protect it";
      else if (g.cross_instance)
        r.reason = fmt::format(
            "this load of the module was never unloaded in the trace, and {} is in an object of "
            "this load (not a static), so an earlier load's unload cannot show whether it takes "
            "that lock",
            g.own_lock);
      else
        r.reason = "the module was never unloaded in the trace: no unload path to compare with";
    } else if (g.prot_lock) {
      r.verdict = SiteVerdict::protected_;
      r.protected_by = g.protecting;
    } else if (g.prot_rcu) {
      r.verdict = SiteVerdict::protected_;
      r.protected_by = "rcu";
    } else if (g.by_ref) {
      r.verdict = SiteVerdict::by_reference;
      r.reason = "the caller already held a reference on the module";
    } else if (g.self) {
      r.verdict = SiteVerdict::by_reference;
      r.reason = "__module_get from the module's own code";
    } else if (g.core) {
      r.verdict = SiteVerdict::core;
      r.reason = "module loader bookkeeping";
    } else {
      r.verdict = SiteVerdict::unverified;
      r.reason = "no verdict could be reached";
    }
    rep.sites.push_back(std::move(r));
  }
  std::stable_sort(rep.sites.begin(), rep.sites.end(), [](const SiteReport& a, const SiteReport& b) {
    if (a.module != b.module) return a.module < b.module;
    return a.site < b.site;
  });

  // Outstanding references: every reference on a module still loaded at the end (those a
  // failed unload already blamed are marked leaked).
  std::unordered_map<std::string, size_t> out_index;
  for (auto& [ptr, inst] : by_ptr_) {
    if (inst->unloaded || inst->freed) continue;
    for (auto& [site_idx, n] : inst->site_refs) {
      const Site& s = sites_[site_idx];
      Outstanding o;
      o.module = names_[inst->name_id];
      o.site = site_text(s.caller_ip, s.caller_mod, s.caller_off, s.caller_in_init, syms,
                         &o.function);
      o.id = finding_id(Rule::outstanding, o.module, o.site);
      o.count = n;
      o.leaked = inst->busy_failed;
      auto [it, fresh] = out_index.emplace(o.id, rep.outstanding.size());
      if (fresh)
        rep.outstanding.push_back(std::move(o));
      else
        rep.outstanding[it->second].count += n;
    }
  }
  std::sort(rep.outstanding.begin(), rep.outstanding.end(),
            [](const Outstanding& a, const Outstanding& b) {
              return a.module != b.module ? a.module < b.module : a.site < b.site;
            });
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
