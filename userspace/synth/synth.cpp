// SPDX-License-Identifier: GPL-2.0-only
//
// The synthetic workload. Each subsystem family mirrors a real kernel pattern (misc_open under
// misc_mtx, crypto_mod_get under crypto_alg_sem, __sock_create under RCU, __get_fs_type under
// read_lock(file_systems_lock)); the buggy families each plant one violation at a known site.
// Refcounts are tracked exactly, so the `refcount` field is what the kernel would report.
#include "synth/synth.h"

#include <fmt/format.h>

namespace modrace {

namespace {

constexpr uint64_t kVmlinuxText = 0xffffffff81000000ull;
constexpr uint64_t kVmlinuxData = 0xffffffff82a00000ull;
constexpr uint64_t kModuleArea = 0xffffffffc0000000ull;
constexpr uint32_t kONonblock = 04000;
constexpr uint32_t kRmmodTid = 901, kInsmodTid = 900, kRacerTid = 950;

enum class Fam {
  misc,
  crypto,
  rcu,
  fs,
  unlocked,
  twolock,
  selfget,
  selfput,
  leaky,
  going,
  underflow
};

struct FamSpec {
  Fam fam;
  const char* prefix;
  int count;
  const char* open_fn;   // vmlinux function doing the get (nullptr: the module's own _open)
  const char* get_lock;  // held at the get (nullptr: none)
  LockKind get_kind;
  bool rcu;                // get inside rcu_read_lock
  const char* unreg_lock;  // taken by the module's unregister path
  LockKind unreg_kind;
  const char* release_fn;  // vmlinux function doing the put (nullptr: the module's own _release)
};

const FamSpec kFamilies[] = {
    {Fam::misc, "synth_misc", 4, "synth_misc_open", "synth_misc_mtx", LockKind::mutex, false,
     "synth_misc_mtx", LockKind::mutex, "synth_misc_release"},
    {Fam::crypto, "synth_crypto", 3, "synth_crypto_mod_get", "synth_alg_sem", LockKind::rwsem_read,
     false, "synth_alg_sem", LockKind::rwsem_write, "synth_crypto_mod_put"},
    {Fam::rcu, "synth_proto", 3, "synth_sock_create", nullptr, LockKind::mutex, true,
     "synth_proto_mutex", LockKind::mutex, "synth_sock_release"},
    {Fam::fs, "synth_fs", 2, "synth_get_fs_type", "synth_fs_lock", LockKind::rwlock_read, false,
     "synth_fs_lock", LockKind::rwlock_write, "synth_put_filesystem"},
    {Fam::unlocked, "synth_unlocked", 1, "synth_unlocked_open", nullptr, LockKind::mutex, false,
     "synth_unlocked_lock", LockKind::mutex, "synth_unlocked_release"},
    {Fam::twolock, "synth_twolock", 1, "synth_twolock_open", "synth_lock_a", LockKind::mutex, false,
     "synth_lock_b", LockKind::mutex, "synth_twolock_release"},
    {Fam::selfget, "synth_selfget", 1, nullptr, "synth_misc_mtx", LockKind::mutex, false,
     "synth_misc_mtx", LockKind::mutex, "synth_misc_release"},
    {Fam::selfput, "synth_selfput", 1, "synth_misc_open", "synth_misc_mtx", LockKind::mutex, false,
     "synth_misc_mtx", LockKind::mutex, nullptr},
    {Fam::leaky, "synth_leaky", 1, "synth_leaky_open", "synth_leaky_lock", LockKind::mutex, false,
     "synth_leaky_lock", LockKind::mutex, "synth_leaky_release"},
    {Fam::going, "synth_going", 1, "synth_going_open", "synth_going_lock", LockKind::mutex, false,
     "synth_going_lock", LockKind::mutex, "synth_going_release"},
    {Fam::underflow, "synth_underflow", 1, "synth_underflow_open", "synth_underflow_lock",
     LockKind::mutex, false, "synth_underflow_lock", LockKind::mutex, "synth_underflow_release"},
};

bool disables_preemption(LockKind k) {
  return k == LockKind::spinlock || k == LockKind::rwlock_read || k == LockKind::rwlock_write;
}

}  // namespace

struct SynthSource::Module {
  const FamSpec* spec = nullptr;
  std::string name;
  uint64_t ptr = 0, text = 0, size = 0x8000;
  bool loaded = false;
  int32_t refcnt = 1;   // raw module->refcnt
  uint32_t leaked = 0;  // references an error path forgot
  uint64_t open_ip = 0, close_ip = 0;
  LockContext open_ctx, unreg_ctx;
  StackId open_stack = 0, close_stack = 0;
  std::vector<KernelSymbol> syms;  // what the kernel's walk reports at each load
};

struct SynthSource::Task {
  uint32_t tid = 0;
  std::string comm;
  int holding = -1;  // module index whose reference this task holds
};

SynthSource::SynthSource(SynthOptions opts)
    : opts_(opts), rng_(opts.seed * 0x9e3779b97f4a7c15ull + 1) {
  meta_.kernel_release = "6.1.0-synthetic";
  meta_.hostname = "synth";
  meta_.modrace_version = "synth";
  meta_.lock_provider = LockProvider::probe;
  meta_.features = {"synthetic"};
  meta_.start_ts_ns = ts_;

  for (const char* core :
       {"do_init_module", "free_module", "module_unload_free", "__do_sys_delete_module",
        "try_module_get", "module_put", "__module_get", "do_dentry_open", "vfs_open", "path_openat",
        "do_sys_openat2", "do_syscall_64", "__fput", "task_work_run"})
    fn(core);
  data("module_mutex");

  int idx = 0;
  for (const auto& spec : kFamilies) {
    for (int i = 0; i < spec.count; i++, idx++) {
      Module m;
      m.spec = &spec;
      m.name = fmt::format("{}_{}", spec.prefix, i);
      m.text = kModuleArea + 0x100000ull * uint64_t(idx + 1);
      m.ptr = m.text + 0x40000;  // struct module lives in the module's data
      for (auto [off, fn_name] :
           {std::pair{0x100, "_open"}, {0x200, "_release"}, {0x300, "_init"}, {0x400, "_exit"}})
        m.syms.push_back({m.text + off, 't', m.name + fn_name, m.name, 0x100});
      m.open_ip = spec.open_fn ? fn(spec.open_fn) + 0x2c : m.text + 0x100 + 0x18;
      m.close_ip = spec.release_fn ? fn(spec.release_fn) + 0x18 : m.text + 0x200 + 0x24;
      m.open_ctx.provider = LockProvider::probe;
      if (spec.get_lock) {
        m.open_ctx.push({data(spec.get_lock), m.open_ip - 0x10, spec.get_kind, 0});
        if (disables_preemption(spec.get_kind)) m.open_ctx.preempt_count = 1;
      }
      if (spec.rcu) m.open_ctx.rcu_depth = 1;
      m.unreg_ctx.provider = LockProvider::probe;
      m.unreg_ctx.push({data(spec.unreg_lock), fn("synth_unregister") + 0x14, spec.unreg_kind, 0});
      if (disables_preemption(spec.unreg_kind)) m.unreg_ctx.preempt_count = 1;
      m.open_stack = stack_for(fn("try_module_get"), m.open_ip, fn("do_dentry_open"));
      m.close_stack = stack_for(fn("module_put"), m.close_ip, fn("__fput"));
      modules_.push_back(std::move(m));
    }
  }
  static const char* kComms[] = {"cat",          "systemd-udevd", "sshd",       "bash",
                                 "kworker/u8:2", "modprobe",      "cryptsetup", "NetworkManager",
                                 "mount",        "python3"};
  for (uint32_t i = 0; i < opts_.tasks; i++)
    tasks_.push_back({2000 + i, kComms[i % std::size(kComms)], -1});
  symbols_.finalize();

  // Recording starts with every module already loaded (the recorder synthesises these).
  for (auto& m : modules_) load(m, true);
}

SynthSource::~SynthSource() = default;

uint64_t SynthSource::rand() {  // xorshift64*: fast, deterministic across platforms
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 0x2545f4914f6cdd1dull;
}

uint64_t SynthSource::fn(const std::string& name) {
  for (const auto& [n, a] : fns_)
    if (n == name) return a;
  uint64_t a = kVmlinuxText + 0x1000 * (fns_.size() + 1);
  fns_.emplace_back(name, a);
  symbols_.add({a, 'T', name, ""});
  return a;
}

uint64_t SynthSource::data(const std::string& name) {
  for (const auto& [n, a] : datas_)
    if (n == name) return a;
  uint64_t a = kVmlinuxData + 0x100 * (datas_.size() + 1);
  datas_.emplace_back(name, a);
  symbols_.add({a, 'd', name, ""});
  return a;
}

StackId SynthSource::stack_for(uint64_t op_fn, uint64_t site, uint64_t caller) {
  uint64_t frames[] = {op_fn + 0x10,
                       site,
                       caller + 0x120,
                       fn("vfs_open") + 0x24,
                       fn("path_openat") + 0x2f0,
                       fn("do_sys_openat2") + 0x90,
                       fn("do_syscall_64") + 0x3b};
  return stacks_.intern(frames);
}

Event& SynthSource::push(EventKind kind, uint32_t tid, const char* comm) {
  Event& ev = queue_.emplace_back();
  ev.kind = kind;
  ts_ += 1 + (rand() & 0x3ff);
  ev.ts_ns = ts_;
  ev.cpu = tid & 3;
  ev.pid = tid;
  ev.tid = tid;
  ev.set_comm(comm);
  return ev;
}

void SynthSource::refop(EventKind kind, Module& m, Task* t, uint64_t ip, const LockContext& lc,
                        bool ok, StackId stack) {
  Event& ev = push(kind, t ? t->tid : kRacerTid, t ? t->comm.c_str() : "racer");
  ev.stack = stack;
  ev.data = RefcountOp{m.ptr, ip, m.refcnt, ok, lc};
}

void SynthSource::load(Module& m, bool preexisting) {
  Event& ev = push(EventKind::module_load, kInsmodTid, preexisting ? "modrace" : "insmod");
  ModuleLoad l;
  l.module = m.ptr;
  l.name = m.name;
  l.core_text_start = m.text;
  l.core_text_size = m.size;
  l.preexisting = preexisting;
  ev.data = std::move(l);
  m.loaded = true;
  if (preexisting) {
    m.refcnt = 1;
    return;
  }
  m.refcnt = 2;  // MODULE_REF_BASE + the initial reference held during init
  push(EventKind::module_state, kInsmodTid, "insmod").data =
      ModuleStateChange{m.ptr, ModuleState::live};
  m.refcnt = 1;
  LockContext none;
  none.provider = LockProvider::probe;
  Event& put = push(EventKind::module_put, kInsmodTid, "insmod");
  put.data = RefcountOp{m.ptr, fn("do_init_module") + 0x94, m.refcnt, true, none};
}

void SynthSource::open(Task& t) {
  Module* m = nullptr;
  for (int tries = 0; tries < 4 && !m; tries++) {
    Module& c = modules_[rand() % modules_.size()];
    if (c.loaded) m = &c;
  }
  if (!m) return;
  m->refcnt++;
  refop(EventKind::try_module_get, *m, &t, m->open_ip, m->open_ctx, true, m->open_stack);
  if (m->spec->fam == Fam::leaky && rand() % 16 == 0) {
    m->leaked++;  // the open failed later and its error path forgot module_put
    return;
  }
  t.holding = static_cast<int>(m - modules_.data());
}

void SynthSource::close(Task& t) {
  Module& m = modules_[t.holding];
  t.holding = -1;
  m.refcnt--;
  LockContext none;
  none.provider = LockProvider::probe;
  refop(EventKind::module_put, m, &t, m.close_ip, none, true, m.close_stack);
  if (m.spec->fam == Fam::underflow && m.refcnt == 1 && rand() % 32 == 0) {
    // A double put on the close path: the kernel's count goes below its base.
    m.refcnt = 0;
    refop(EventKind::module_put, m, &t, m.close_ip + 0x20, none, true, m.close_stack);
    m.refcnt = 1;  // the simulation carries on as if the count had been right
  }
}

void SynthSource::unload(Module& m) {
  // Users close first (rmmod of a module in use would just fail busy).
  for (auto& t : tasks_)
    if (t.holding == static_cast<int>(&m - modules_.data())) close(t);
  DeleteModule d;
  d.name = m.name;
  d.flags = kONonblock;
  push(EventKind::delete_module, kRmmodTid, "rmmod").data = d;
  uint64_t mm_ts = ts_;
  if (m.leaked) {
    push(EventKind::unload_lock, kRmmodTid, "rmmod").data =
        UnloadLock{data("module_mutex"), fn("__do_sys_delete_module") + 0x8d, LockKind::mutex, 0};
    queue_.back().ts_ns = mm_ts;
    DeleteModule x;
    x.phase = Phase::exit;
    x.name = m.name;
    x.ret = -11;  // EWOULDBLOCK
    push(EventKind::delete_module, kRmmodTid, "rmmod").data = x;
    return;
  }
  m.refcnt = 0;  // try_stop_module
  // The exit: unregister under the subsystem's lock (RCU subsystems then wait a grace period).
  uint64_t unreg_ts = ts_ + 1;
  DriverOp drv;
  drv.owner = m.ptr;
  drv.driver = m.ptr + 0x800;
  drv.name = m.name;
  drv.bus = "synth";
  drv.locks = m.unreg_ctx;
  push(EventKind::driver_unregister, kRmmodTid, "rmmod").data = drv;
  drv.phase = Phase::exit;
  push(EventKind::driver_unregister, kRmmodTid, "rmmod").data = drv;
  if (m.spec->rcu)
    push(EventKind::unload_rcu_sync, kRmmodTid, "rmmod").data =
        UnloadRcuSync{fn("synth_unregister") + 0x40};
  push(EventKind::module_state, kRmmodTid, "rmmod").data =
      ModuleStateChange{m.ptr, ModuleState::going};
  if (m.spec->fam == Fam::going) {
    // The race window, hit: an opener that found the object before the unregister.
    refop(EventKind::try_module_get, m, nullptr, m.open_ip, m.open_ctx, false, m.open_stack);
  }
  push(EventKind::module_free, kRmmodTid, "rmmod").data = ModuleFree{m.ptr};
  push(EventKind::unload_lock, kRmmodTid, "rmmod").data =
      UnloadLock{data("module_mutex"), fn("__do_sys_delete_module") + 0x8d, LockKind::mutex, 0};
  queue_.back().ts_ns = mm_ts;
  push(EventKind::unload_lock, kRmmodTid, "rmmod").data = UnloadLock{
      m.unreg_ctx.locks[0].addr, fn("synth_unregister") + 0x14, m.unreg_ctx.locks[0].kind, 0};
  queue_.back().ts_ns = unreg_ts;
  DeleteModule x;
  x.phase = Phase::exit;
  x.name = m.name;
  push(EventKind::delete_module, kRmmodTid, "rmmod").data = x;
  m.loaded = false;
  m.refcnt = 1;
}

void SynthSource::lifecycle(Module& m) {
  if (m.loaded)
    unload(m);
  else
    load(m, false);
}

void SynthSource::refill() {
  for (int i = 0; i < 64; i++) {
    if (rand() % opts_.unload_every == 0) {
      lifecycle(modules_[rand() % modules_.size()]);
      continue;
    }
    Task& t = tasks_[rand() % tasks_.size()];
    if (t.holding >= 0)
      close(t);
    else
      open(t);
  }
}

bool SynthSource::next(Event& ev) {
  if (emitted_ >= opts_.events) return false;
  if (head_ == queue_.size()) {
    queue_.clear();  // keeps capacity (and the events' storage) for the next batch
    head_ = 0;
    while (queue_.empty()) refill();
  }
  std::swap(ev, queue_[head_++]);
  emitted_++;
  if (ev.kind == EventKind::module_load || ev.kind == EventKind::module_free) {
    // As a recorder's stream has it: the module's symbols right after its module_load.
    epoch_ = symbols_.note(ev);
    if (ev.kind == EventKind::module_load) {
      for (const auto& sym : module_symbols(std::get<ModuleLoad>(ev.data).module))
        symbols_.add(sym);
      symbols_.finalize();
    }
  } else {
    epoch_ = symbols_.epoch();
  }
  return true;
}

const std::vector<KernelSymbol>& SynthSource::module_symbols(uint64_t module) const {
  for (const auto& m : modules_)
    if (m.ptr == module) return m.syms;
  static const std::vector<KernelSymbol> none;
  return none;
}

std::vector<PlantedFinding> SynthSource::planted() const {
  return {
      {Rule::unprotected_get, "synth_unlocked_0", "synth_unlocked_open"},
      {Rule::unprotected_get, "synth_twolock_0", "synth_twolock_open"},
      {Rule::self_get, "synth_selfget_0", "synth_selfget_0_open"},
      {Rule::self_put, "synth_selfput_0", "synth_selfput_0_release"},
      {Rule::ref_leak, "synth_leaky_0", "synth_leaky_open"},
      {Rule::get_while_going, "synth_going_0", "synth_going_open"},
      {Rule::put_underflow, "synth_underflow_0", "synth_underflow_release"},
  };
}

}  // namespace modrace
