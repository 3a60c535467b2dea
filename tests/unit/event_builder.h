// SPDX-License-Identifier: GPL-2.0-only
//
// Builds event streams for analyzer and report tests, so that a test reads like the kernel
// scenario it models:
//
//   EventBuilder t;
//   auto drv = t.load("seed_drv");
//   t.as(100, "cat").try_get(drv, t.fn("seed_open"), EventBuilder::locks({t.mutex("misc_mtx")}));
//   t.unload(drv, {t.mutex("misc_mtx")});
//   Report r = t.analyze();
//
// Addresses are made up but consistent: vmlinux functions and data get symbols, module text
// gets a range and (optionally) symbols, so sites symbolize like on a real kernel.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "analyzer/analyzer.h"
#include "events/source.h"

namespace modrace::test {

struct Mod {
  std::string name;
  uint64_t ptr = 0;
  uint64_t text = 0;
  uint64_t size = 0;
  uint64_t at(uint64_t off) const { return text + off; }
};

class EventBuilder {
 public:
  static constexpr uint64_t kVmlinuxText = 0xffffffff81000000ull;
  static constexpr uint64_t kVmlinuxData = 0xffffffff82000000ull;
  static constexpr uint64_t kModuleBase = 0xffffffffc0000000ull;
  static constexpr int64_t kEBUSY = 16;
  static constexpr uint32_t kOTrunc = 01000;

  // `shift` moves every address (KASLR): ids must not change with it.
  explicit EventBuilder(uint64_t shift = 0) : shift_(shift) {
    for (const char* f : {"do_init_module", "free_module", "module_unload_free", "ref_module",
                          "__do_sys_delete_module", "__module_put_and_kthread_exit",
                          "try_module_get", "module_put", "__fput", "chrdev_open"})
      fn(f);
  }

  // ---- symbols ----
  // Address of a vmlinux function (+0x10 into it, like a return address), created on first use.
  uint64_t fn(const std::string& name, uint64_t off = 0x10) {
    auto it = funcs_.find(name);
    if (it == funcs_.end()) {
      uint64_t a = kVmlinuxText + shift_ + 0x1000 * (funcs_.size() + 1);
      sym({a, 'T', name, ""});
      it = funcs_.emplace(name, a).first;
    }
    return it->second + off;
  }
  // Address of a vmlinux data object (a static lock), created on first use.
  uint64_t data(const std::string& name) {
    auto it = datas_.find(name);
    if (it == datas_.end()) {
      uint64_t a = kVmlinuxData + shift_ + 0x100 * (datas_.size() + 1);
      sym({a, 'd', name, ""});
      it = datas_.emplace(name, a).first;
    }
    return it->second;
  }
  // A function inside a module's text, with a symbol. It belongs to the module's load before
  // which, or after which, it is declared (as a trace brings a load's symbols after it).
  uint64_t mod_fn(const Mod& m, const std::string& name, uint64_t fn_off, uint64_t off = 0x8) {
    sym({m.text + fn_off, 't', name, m.name});
    return m.text + fn_off + off;
  }
  // A static object inside a module (a lock in its .data), `size` bytes.
  uint64_t mod_data(const Mod& m, const std::string& name, uint64_t off, uint64_t size = 0x40) {
    sym({m.text + m.size + off, 'd', name, m.name, size});
    return m.text + m.size + off;
  }
  // The kernel stack of the next event emitted, innermost frame first.
  EventBuilder& stack(std::vector<uint64_t> frames) {
    next_stack_ = stacks_.intern(frames);
    return *this;
  }
  // Any symbol, from the next event on.
  void sym(KernelSymbol s) { symbols_.emplace_back(events_.size(), std::move(s)); }
  void no_symbols() {
    symbols_.clear();
    funcs_.clear();
    datas_.clear();
  }

  // ---- locks ----
  HeldLock mutex(const std::string& name, uint64_t ip = 0) {
    return {data(name), ip, LockKind::mutex};
  }
  HeldLock spin(const std::string& name) { return {data(name), 0, LockKind::spinlock}; }
  HeldLock rwsem_read(const std::string& name) { return {data(name), 0, LockKind::rwsem_read}; }
  HeldLock rwsem_write(const std::string& name) { return {data(name), 0, LockKind::rwsem_write}; }
  static HeldLock dynamic_lock(uint64_t addr, LockKind k = LockKind::mutex) { return {addr, 0, k}; }
  // srcu_read_lock(&name) as the probe provider sees it, and an unload's synchronize_srcu(&name).
  HeldLock srcu_read(const std::string& name) { return {data(name), 0, LockKind::srcu_read}; }
  HeldLock srcu_sync(const std::string& name) { return {data(name), 0, LockKind::srcu_sync}; }
  // A lock as lockdep's held_locks shows it: its lockdep_map (inside the static object `object`,
  // as a mutex's dep_map is) and its class, named `class_name` (a kLockClassSymbolType symbol).
  HeldLock lockdep(const std::string& object, const std::string& class_name) {
    HeldLock l{data(object) + 0x30, 0, LockKind::lockdep};
    l.class_key = data("__key." + class_name);
    sym({l.class_key, kLockClassSymbolType, class_name, ""});
    return l;
  }
  static LockContext lockdep_locks(std::initializer_list<HeldLock> held = {}) {
    LockContext lc = locks(held);
    lc.provider = LockProvider::lockdep;
    return lc;
  }
  static LockContext locks(std::initializer_list<HeldLock> held = {}) {
    LockContext lc;
    lc.provider = LockProvider::probe;
    for (const auto& l : held) {
      lc.push(l);
      if (l.kind == LockKind::spinlock || l.kind == LockKind::rwlock_read ||
          l.kind == LockKind::rwlock_write)
        lc.preempt_count++;
    }
    return lc;
  }
  // The same on PREEMPT_RT: each spinlock_t/rwlock_t (taken by rt_spin_lock & co., flagged
  // kHeldRt) adds one to the RCU nesting instead of the preempt count; raw ones still disable
  // preemption. `explicit_rcu`: rcu_read_lock() nesting of the code itself on top.
  static LockContext rt_locks(std::initializer_list<HeldLock> held, uint16_t explicit_rcu = 0) {
    LockContext lc;
    lc.provider = LockProvider::probe;
    for (HeldLock l : held) {
      if (l.kind == LockKind::spinlock || l.kind == LockKind::rwlock_read ||
          l.kind == LockKind::rwlock_write) {
        l.flags |= kHeldRt;
        lc.rcu_depth++;
      }
      lc.push(l);
    }
    lc.rcu_depth += explicit_rcu;
    return lc;
  }
  static LockContext rcu() {
    LockContext lc = locks();
    lc.rcu_depth = 1;
    return lc;
  }

  // ---- task ----
  EventBuilder& as(uint32_t tid, const std::string& comm = "task", uint32_t pid = 0) {
    tid_ = tid;
    pid_ = pid ? pid : tid;
    comm_ = comm;
    return *this;
  }

  // ---- module lifecycle ----
  // Emits module_load; a fresh (not preexisting) module then has do_init_module drop the
  // initial reference and goes LIVE, unless `init` is false (stays COMING).
  Mod load(const std::string& name, uint64_t ptr = 0, bool preexisting = false, bool init = true) {
    Mod m = place(name, ptr, 0, 0x4000);
    emit_load(m, 0, preexisting);
    if (!preexisting && init) finish_init(m);
    return m;
  }
  // A module (loaded, LIVE) with its text at `text` and init text at `init_text` (0x1000 each;
  // text 0: the usual place, init_text 0: none), for address-reuse cases.
  Mod load_at(const std::string& name, uint64_t text, uint64_t init_text) {
    Mod m = place(name, 0, text, 0x1000);
    emit_load(m, init_text, false);
    finish_init(m);
    return m;
  }
  void finish_init(const Mod& m) {
    state(m, ModuleState::live);
    put(m, fn("do_init_module", 0x90), locks(), 1);
  }
  void state(const Mod& m, ModuleState s) {
    emit(EventKind::module_state, ModuleStateChange{m.ptr, s});
  }
  void free(const Mod& m) { emit(EventKind::module_free, ModuleFree{m.ptr}); }
  void delete_enter(const Mod& m, uint32_t flags = 0) {
    DeleteModule d;
    d.name = m.name;
    d.flags = flags;
    emit(EventKind::delete_module, d);
  }
  void delete_exit(const Mod& m, int64_t ret) {
    DeleteModule d;
    d.phase = Phase::exit;
    d.name = m.name;
    d.ret = ret;
    emit(EventKind::delete_module, d);
  }
  // The recorder emits a task's unload locks at delete_module's exit, each stamped with the
  // time it was first taken: `ts` (from now()) gives that time, 0 means "now".
  void unload_lock(const HeldLock& l, uint64_t ip = 0, uint64_t ts = 0) {
    emit(EventKind::unload_lock,
         UnloadLock{l.addr, ip ? ip : fn("__do_sys_delete_module", 0x40), l.kind, l.class_key}, ts);
  }
  // Advances the clock: the time at which something not emitted yet happens.
  uint64_t now() { return ts_ += 1000; }
  void driver_unregister(const Mod& owner, const LockContext& lc, const std::string& name = "drv") {
    DriverOp d;
    d.owner = owner.ptr;
    d.driver = owner.ptr + 0x800;
    d.name = name;
    d.bus = "seed";
    d.locks = lc;
    emit(EventKind::driver_unregister, d);
    d.phase = Phase::exit;
    emit(EventKind::driver_unregister, d);
  }
  // A complete unload by the current task, in the order the recorder reports it:
  // delete_module takes module_mutex, the exit unregisters the driver holding `unreg_locks`,
  // GOING is announced (after the exit), free, then the unload locks and the successful exit.
  void unload(const Mod& m, std::initializer_list<HeldLock> unreg_locks = {}, uint32_t flags = 0) {
    begin_unload(m, unreg_locks, flags);
    end_unload(m);
  }
  // The two halves, for tests that put gets in between: begin takes the locks (recording when),
  // end announces GOING, frees and reports.
  void begin_unload(const Mod& m, std::initializer_list<HeldLock> unreg_locks = {},
                    uint32_t flags = 0) {
    delete_enter(m, flags);
    taken_.clear();
    taken_.push_back({mutex("module_mutex"), fn("__do_sys_delete_module", 0x40), now()});
    for (const auto& l : unreg_locks)
      taken_.push_back({l, fn("seed_unregister_driver", 0x14), now()});
    driver_unregister(m, locks(unreg_locks));
  }
  void end_unload(const Mod& m) {
    state(m, ModuleState::going);
    free(m);
    for (const auto& t : taken_) unload_lock(t.lock, t.ip, t.ts);
    delete_exit(m, 0);
  }
  // A delete_module that fails busy (the exit never runs).
  void failed_unload(const Mod& m, int64_t ret = -kEBUSY) {
    delete_enter(m);
    unload_lock(mutex("module_mutex"));
    delete_exit(m, ret);
  }

  // ---- refcount ----
  void try_get(const Mod& m, uint64_t caller, const LockContext& lc = locks(), bool ok = true,
               int32_t refcount = -1) {
    emit(EventKind::try_module_get, RefcountOp{m.ptr, caller, refcount, ok, lc});
  }
  // A try_module_get at a --widen site: held `us` before the get, or (capped) not held.
  void widened_try_get(const Mod& m, uint64_t caller, const LockContext& lc = locks(),
                       bool ok = true, uint16_t us = 5000, WidenMark mark = WidenMark::held) {
    RefcountOp op{m.ptr, caller, -1, ok, lc};
    op.widen = mark;
    op.widen_us = mark == WidenMark::held ? us : 0;
    emit(EventKind::try_module_get, op);
  }
  void get(const Mod& m, uint64_t caller, const LockContext& lc = locks(), int32_t refcount = -1) {
    emit(EventKind::module_get, RefcountOp{m.ptr, caller, refcount, true, lc});
  }
  void put(const Mod& m, uint64_t caller, const LockContext& lc = locks(), int32_t refcount = -1) {
    emit(EventKind::module_put, RefcountOp{m.ptr, caller, refcount, true, lc});
  }

  // ---- result ----
  std::vector<Event>& events() { return events_; }
  // Symbols as the stream brings them: (index of the event they come before, symbol).
  const VectorSource::SymbolTimeline& symbol_timeline() const { return symbols_; }
  VectorSource source(TraceMeta meta = {}) const {
    return VectorSource(events_, std::move(meta), stacks_, {}, symbols_);
  }
  Report analyze(TraceMeta meta = {}) const {
    auto src = source(std::move(meta));
    return modrace::analyze(src);
  }

 private:
  Mod place(const std::string& name, uint64_t ptr, uint64_t text, uint64_t size) {
    Mod m;
    m.name = name;
    m.ptr = ptr ? ptr : kModuleBase + shift_ + 0x100000 * (++mods_);
    m.text = text ? text : m.ptr + 0x10000;
    m.size = size;
    return m;
  }
  void emit_load(const Mod& m, uint64_t init_text, bool preexisting) {
    ModuleLoad l;
    l.module = m.ptr;
    l.name = m.name;
    l.core_text_start = m.text;
    l.core_text_size = m.size;
    l.init_text_start = init_text;
    l.init_text_size = init_text ? 0x1000 : 0;
    l.preexisting = preexisting;
    emit(EventKind::module_load, l);
  }
  template <typename T>
  void emit(EventKind k, T payload, uint64_t ts = 0) {
    Event ev;
    ev.kind = k;
    ev.ts_ns = ts ? ts : (ts_ += 1000);
    ev.pid = pid_;
    ev.tid = tid_;
    ev.set_comm(comm_);
    ev.stack = std::exchange(next_stack_, 0);
    ev.data = std::move(payload);
    events_.push_back(std::move(ev));
  }

  struct Taken {
    HeldLock lock;
    uint64_t ip, ts;
  };
  std::vector<Taken> taken_;
  uint64_t shift_ = 0;
  uint64_t ts_ = 1000000000;
  uint32_t tid_ = 1, pid_ = 1;
  std::string comm_ = "insmod";
  int mods_ = 0;
  std::map<std::string, uint64_t> funcs_, datas_;
  VectorSource::SymbolTimeline symbols_;
  StackTable stacks_;
  StackId next_stack_ = 0;
  std::vector<Event> events_;
};

// The findings of one rule.
inline std::vector<const Finding*> findings_of(const Report& r, Rule rule) {
  std::vector<const Finding*> v;
  for (const auto& f : r.findings)
    if (f.rule == rule) v.push_back(&f);
  return v;
}

inline const SiteReport* site_of(const Report& r, const std::string& module,
                                 const std::string& function) {
  for (const auto& s : r.sites)
    if (s.module == module && s.function == function) return &s;
  return nullptr;
}

}  // namespace modrace::test
