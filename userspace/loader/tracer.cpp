// SPDX-License-Identifier: GPL-2.0-only
#include "loader/tracer.h"


#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "events/error.h"
#include "loader/wire.h"
#include "version.h"
#include "modrace.skel.h"
#include "modrace_abi.h"

namespace modrace::loader {

namespace {

bool g_verbose = false;
std::string g_last_libbpf_warning;  // quoted in load errors when not verbose

int libbpf_log(enum libbpf_print_level level, const char* format, va_list args) {
  // Whole, however long: a verifier log is most useful at its end.
  va_list copy;
  va_copy(copy, args);
  int len = vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string text(len > 0 ? size_t(len) : 0, '\0');
  if (len > 0) vsnprintf(text.data(), text.size() + 1, format, args);
  const char* buf = text.c_str();
  if (level == LIBBPF_WARN) {
    g_last_libbpf_warning = buf;
    while (!g_last_libbpf_warning.empty() && g_last_libbpf_warning.back() == '\n')
      g_last_libbpf_warning.pop_back();
  }
  if (g_verbose && (level != LIBBPF_DEBUG || std::getenv("MODRACE_LIBBPF_DEBUG")))
    std::fprintf(stderr, "libbpf: %s", buf);
  return 0;
}

bool btf_has_func(const btf* b, const char* name) {
  return b && btf__find_by_name_kind(b, name, BTF_KIND_FUNC) >= 0;
}

bool btf_struct_has_member(const btf* b, const char* st, const char* member) {
  if (!b) return false;
  int id = btf__find_by_name_kind(b, st, BTF_KIND_STRUCT);
  if (id < 0) return false;
  const btf_type* t = btf__type_by_id(b, id);
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); i++, m++)
    if (std::strcmp(btf__name_by_offset(b, m->name_off), member) == 0) return true;
  return false;
}

// Which of `wanted` the kernel can ftrace (its available_filter_functions): fentry attaches only
// there. Functions built without -pg (lockdep's lock_acquire, say) are in BTF but are not. Empty
// optional when tracefs cannot be read: BTF alone decides then.
std::optional<std::unordered_set<std::string>> ftrace_locations(
    const std::unordered_set<std::string>& wanted) {
  for (const char* path : {"/sys/kernel/tracing/available_filter_functions",
                           "/sys/kernel/debug/tracing/available_filter_functions"}) {
    std::ifstream in(path);
    if (!in) continue;
    std::unordered_set<std::string> found;
    std::string line;
    while (std::getline(in, line)) {
      std::string name = line.substr(0, line.find(' '));
      if (wanted.count(name)) found.insert(std::move(name));
    }
    if (!found.empty()) return found;
  }
  return std::nullopt;
}

// Lock state for every task alive now, before the lock probes attach (see it_task_states). A
// pass that could not create some (allocator cache empty) is repeated once it has refilled.
void precreate_task_states(modrace_bpf* skel) {
  for (int pass = 0; pass < 100; pass++) {
    skel->bss->precreate_failed = 0;
    bpf_link* link = bpf_program__attach_iter(skel->progs.it_task_states, nullptr);
    if (!link) return;
    int fd = bpf_iter_create(bpf_link__fd(link));
    if (fd >= 0) {
      char buf[256];
      while (read(fd, buf, sizeof(buf)) > 0) {
      }
      close(fd);
    }
    bpf_link__destroy(link);
    if (fd < 0 || skel->bss->precreate_failed == 0) {
      if (g_verbose && pass)
        std::fprintf(stderr, "modrace: task lock states created in %d passes\n", pass + 1);
      return;
    }
    usleep(20 * 1000);
  }
  if (g_verbose)
    std::fprintf(stderr, "modrace: %u tasks still without lock state after 100 passes\n",
                 skel->bss->precreate_failed);
}

// Seconds since `start`, for the start-up stage timings shown with -v.
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

const char* method_prefix_entry(const std::string& method) {
  return method == "fentry" ? "fe_" : method == "kprobe" ? "kp_" : "tp_";
}
const char* method_prefix_exit(const std::string& method) {
  return method == "fentry" ? "fx_" : method == "kprobe" ? "kr_" : nullptr;
}

}  // namespace

PreemptModel detect_preempt_model() {
  PreemptModel pm;
  // PREEMPT_DYNAMIC kernels print the choices with the active one in parentheses:
  // "none (voluntary) full". Only there is a boot-time or runtime switch visible.
  {
    std::ifstream f("/sys/kernel/debug/sched/preempt");
    std::string line;
    if (std::getline(f, line)) {
      auto l = line.find('('), r = line.find(')');
      if (l != std::string::npos && r != std::string::npos && r > l + 1) {
        pm.model = line.substr(l + 1, r - l - 1);
        pm.source = "debugfs";
        return pm;
      }
    }
  }
  utsname u{};
  uname(&u);
  std::istringstream words(u.version);
  bool dynamic = false, preempt = false, rt = false, lazy = false;
  for (std::string w; words >> w;) {
    dynamic |= w == "PREEMPT_DYNAMIC";
    preempt |= w == "PREEMPT";
    rt |= w == "PREEMPT_RT";
    lazy |= w == "PREEMPT_LAZY";
  }
  if (rt) return {"rt", "uname"};
  if (dynamic) {
    // debugfs not mounted: preempt= on the command line wins, else the Kconfig default.
    std::ifstream cmdline("/proc/cmdline");
    for (std::string w; cmdline >> w;)
      if (w.rfind("preempt=", 0) == 0) return {w.substr(8), "cmdline"};
    std::ifstream cfg(std::string("/boot/config-") + u.release);
    for (std::string line; std::getline(cfg, line);) {
      if (line == "CONFIG_PREEMPT_NONE=y") return {"none", "config"};
      if (line == "CONFIG_PREEMPT_VOLUNTARY=y") return {"voluntary", "config"};
      if (line == "CONFIG_PREEMPT=y") return {"full", "config"};
      if (line == "CONFIG_PREEMPT_LAZY=y") return {"lazy", "config"};
    }
    return {"unknown", "uname"};
  }
  if (lazy) return {"lazy", "uname"};
  if (preempt) return {"full", "uname"};
  // No preemption support built in: "none" and "voluntary" are alike for this purpose.
  return {"voluntary", "uname"};
}

void set_verbose(bool v) { g_verbose = v; }
bool verbose() { return g_verbose; }

LockMode lock_mode_from_string(const std::string& s) {
  if (s == "auto") return LockMode::auto_;
  if (s == "lockdep") return LockMode::lockdep;
  if (s == "probe") return LockMode::probe;
  if (s == "off") return LockMode::off;
  throw Error("--locks: expected auto, lockdep, probe or off, not '" + s + "'");
}

struct Tracer::Impl {
  modrace_bpf* skel = nullptr;
  ring_buffer* rb = nullptr;
  std::vector<bpf_link*> links;
  std::vector<bpf_program*> attached_progs;
  std::vector<ProbeGroup> attached_groups;  // parallel to attached_progs
  const std::function<void(Event&)>* current_fn = nullptr;
  Tracer* owner = nullptr;
  int handled = 0;
  // Module symbol records: names by struct module * (from module_load events), symbols not yet
  // handed to the sink, and symbols of a module whose module_load has not been seen.
  std::unordered_map<uint64_t, std::string> module_names;
  std::unordered_map<uint64_t, std::vector<KernelSymbol>> orphan_symbols;
  std::vector<KernelSymbol> symbol_batch;

  void flush_symbols() {
    if (symbol_batch.empty()) return;
    if (owner->symbol_sink_) owner->symbol_sink_(symbol_batch);
    symbol_batch.clear();
  }

  // Text ranges of modules loaded since the kallsyms snapshot (never mistaken for BPF frames).
  std::vector<std::pair<uint64_t, uint64_t>> new_module_text;

  void on_symbol(const void* data, size_t size) {
    uint64_t mod = 0;
    KernelSymbol sym;
    if (!decode_symbol(data, size, mod, sym)) {
      owner->malformed_++;
      return;
    }
    owner->module_syms_seen_++;
    auto it = module_names.find(mod);
    if (it == module_names.end()) {
      orphan_symbols[mod].push_back(std::move(sym));
      return;
    }
    sym.module = it->second;
    symbol_batch.push_back(std::move(sym));
  }

  ~Impl() {
    // Quiet the lock probes before detaching them (detaching patches the lock functions they
    // are attached to), and give runs in flight a moment to finish. The lock links come first
    // in `links` (attached first).
    const auto t_detach = std::chrono::steady_clock::now();
    if (skel && skel->bss) skel->bss->tracing_stopped = 1;
    if (!links.empty()) usleep(50 * 1000);
    if (rb) ring_buffer__free(rb);
    // Each kprobe link's close waits for an RCU grace period, serialised in the kernel: closing
    // from several threads measured no faster (36 s for 65 programs on 6.12-rt under TCG), so
    // `record --done-file` lets callers go on once the trace is complete instead.
    for (auto* l : links) bpf_link__destroy(l);
    if (g_verbose && !links.empty())
      std::fprintf(stderr, "modrace: detached %zu programs in %.2f s\n", links.size(),
                   seconds_since(t_detach));
    if (skel) modrace_bpf__destroy(skel);
  }

  static int on_record(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    if (is_symbol_record(data, size)) {
      self->on_symbol(data, size);
      return 0;
    }
    if (is_lock_class_record(data, size)) {
      KernelSymbol cls;
      if (decode_lock_class(data, size, cls))
        self->symbol_batch.push_back(std::move(cls));
      else
        self->owner->malformed_++;
      return 0;
    }
    // Symbols first: the events after them may point into that module.
    self->flush_symbols();
    Event ev;
    const Kallsyms* k = self->owner->ksyms_.get();
    // kallsyms is the start-up snapshot: the text of a module loaded since then lies above some
    // "[bpf]" symbol in it and would pass for ours, losing the module's frames from stacks.
    FrameFilter own = [k, self](uint64_t a) {
      if (!k->is_bpf(a)) return false;  // most frames: one binary search, no range scan
      for (const auto& [start, size] : self->new_module_text)
        if (a - start < size) return false;
      return true;
    };
    if (!decode_record(data, size, self->owner->stacks_, ev, own)) {
      self->owner->malformed_++;
      return 0;
    }
    self->handled++;
    if (auto* m = std::get_if<ModuleLoad>(&ev.data); m && !m->preexisting) {
      self->module_names[m->module] = m->name;
      if (m->core_text_size) self->new_module_text.emplace_back(m->core_text_start, m->core_text_size);
      if (m->init_text_size) self->new_module_text.emplace_back(m->init_text_start, m->init_text_size);
      if (auto o = self->orphan_symbols.find(m->module); o != self->orphan_symbols.end()) {
        for (auto& sym : o->second) {
          sym.module = m->name;
          self->symbol_batch.push_back(std::move(sym));
        }
        self->orphan_symbols.erase(o);
      }
    }
    if (self->current_fn) (*self->current_fn)(ev);
    return 0;
  }
};

Tracer::~Tracer() = default;

TraceMeta Tracer::trace_meta() const {
  TraceMeta meta;
  utsname u{};
  uname(&u);
  meta.kernel_release = u.release;
  meta.hostname = u.nodename;
  meta.modrace_version = MODRACE_VERSION;
  meta.lock_provider = lock_provider();
  meta.features = features();
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  meta.start_ts_ns = uint64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  clock_gettime(CLOCK_REALTIME, &ts);
  meta.start_realtime_ns = uint64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  return meta;
}

std::unique_ptr<Tracer> Tracer::open(const TracerOptions& opts) {
  libbpf_set_print(libbpf_log);
  if (geteuid() != 0)
    throw Error("needs root: BPF programs, kprobes and /proc/kallsyms addresses need it");
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    throw Error("the kernel has no BTF (/sys/kernel/btf/vmlinux missing: CONFIG_DEBUG_INFO_BTF)");
  if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, nullptr) <= 0)
    throw Error("BPF is not available: cannot load a kprobe program (CONFIG_BPF_SYSCALL, "
                "lockdown, or a seccomp filter)");

  const auto t_start = std::chrono::steady_clock::now();
  std::unique_ptr<Tracer> t(new Tracer());
  t->ksyms_ = std::make_unique<Kallsyms>(Kallsyms::read());
  if (t->ksyms_->addresses_hidden())
    throw Error("/proc/kallsyms shows no addresses (kernel.kptr_restrict): cannot name modules");

  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) throw Error("cannot read the kernel's BTF: " + errno_text(errno));
  struct BtfGuard {
    btf* b;
    ~BtfGuard() { btf__free(b); }
  } guard{vmlinux};

  bool has_lockdep = btf_struct_has_member(vmlinux, "task_struct", "held_locks");
  switch (opts.locks) {
    case LockMode::auto_:
      t->provider_ = has_lockdep ? LockProvider::lockdep : LockProvider::probe;
      break;
    case LockMode::lockdep:
      if (!has_lockdep)
        throw Error("--locks lockdep: this kernel has no lockdep (task_struct.held_locks)");
      t->provider_ = LockProvider::lockdep;
      break;
    case LockMode::probe: t->provider_ = LockProvider::probe; break;
    case LockMode::off: t->provider_ = LockProvider::off; break;
  }
  auto notify_list = t->ksyms_->address("module_notify_list");
  if (opts.modules.size() > 16) throw Error("--module: at most 16 modules");
  for (const auto& m : opts.modules)
    if (m.empty() || m.size() >= MR_MODULE_NAME_LEN) throw Error("--module: bad name '" + m + "'");
  uint64_t rb_size = opts.ringbuf_size;
  if (rb_size < 4096 || (rb_size & (rb_size - 1)))
    throw Error("--ringbuf-size: must be a power of two of at least 4096 bytes");

  t->preempt_ = detect_preempt_model();
  std::unordered_set<std::string> fentry_wanted;
  for (const auto& p : attach_points())
    if (p.has_fentry) fentry_wanted.insert(p.function);
  const auto ftraceable = ftrace_locations(fentry_wanted);
  // An fentry program runs preemptible (migrate_disable only): under preempt=full/lazy/RT another
  // task's lock operation on that CPU meanwhile is skipped as a recursion, and its lock is lost.
  // A kprobe program runs with preemption off, so only interrupts can nest in it, and lock
  // tracking ignores those anyway. Slower, but nothing lost.
  const bool lock_kprobes_all = !t->preempt_.task_cannot_preempt_probes();
  const std::string lock_kprobe_why =
      fmt::format("preempt={}: fentry programs are preemptible, lock events would be lost",
                  t->preempt_.model);
  auto lock_kprobes = [&](const AttachPoint& p) {
    return lock_kprobes_all && p.group == ProbeGroup::locks;
  };
  auto fentry_ok = [&](const AttachPoint& p) {
    return btf_has_func(vmlinux, p.function) && (!ftraceable || ftraceable->count(p.function));
  };
  // The in-kernel symbol walk needs bpf_loop (5.17); without it, /proc/kallsyms after the load.
  bool walk_ok = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, nullptr) > 0;
  std::string walk_why = walk_ok ? "" : "no bpf_loop in this kernel";
  // Configurations tried in order until one loads: fentry where possible, then without the
  // symbol walk (should the verifier refuse it), then kprobes only, then kprobes without it.
  struct Attempt {
    bool prefer_kprobe, walk_syms;
  };
  std::vector<Attempt> attempts;
  for (bool kp : {opts.prefer_kprobe, true})
    for (bool walk : {walk_ok, false})
      if (std::none_of(attempts.begin(), attempts.end(),
                       [&](const Attempt& a) { return a.prefer_kprobe == kp && a.walk_syms == walk; }))
        attempts.push_back({kp, walk});
  for (size_t attempt = 0; attempt < attempts.size(); attempt++) {
    bool prefer_kprobe = attempts[attempt].prefer_kprobe;
    bool walk_syms = attempts[attempt].walk_syms;
    auto impl = std::make_unique<Impl>();
    impl->owner = t.get();
    impl->skel = modrace_bpf__open();
    if (!impl->skel) throw Error("cannot open the BPF object: " + errno_text(errno));
    auto* skel = impl->skel;
    skel->rodata->cfg_lock_provider = static_cast<__u32>(t->provider_);
    skel->rodata->cfg_nr_filters = static_cast<__u32>(opts.modules.size());
    skel->rodata->cfg_module_notify_list = notify_list.value_or(0);
    {
      int i = 0;
      for (const char* m : {"rcu_lock_map", "rcu_bh_lock_map", "rcu_sched_lock_map"})
        skel->rodata->cfg_rcu_maps[i++] = t->ksyms_->address(m).value_or(0);
    }
    bpf_map__set_max_entries(skel->maps.events, static_cast<__u32>(rb_size));
    // Refcount records wake the reader per eighth of the ring (submit_batched in the program).
    skel->rodata->cfg_wakeup_bytes = rb_size / 8;

    // Every program starts disabled; each attach point enables the flavour it chose.
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(prog, false);

    std::vector<ProbeStatus> probes;
    for (const auto& p : attach_points()) {
      ProbeStatus st;
      st.point = &p;
      if (p.group == ProbeGroup::locks && t->provider_ != LockProvider::probe) {
        st.why = fmt::format("not needed (locks={})", to_string(t->provider_));
      } else if (p.group == ProbeGroup::lockdep && t->provider_ != LockProvider::lockdep) {
        st.why = fmt::format("not needed (locks={})", to_string(t->provider_));
      } else if (std::string(p.id) == "module_syms" && !walk_syms) {
        st.why = (walk_why.empty() ? std::string("the verifier refused the symbol walk")
                                   : walk_why) +
                 ": module symbols read from /proc/kallsyms after the load (missed for modules "
                 "that are unloaded at once)";
      } else if (p.group == ProbeGroup::lifecycle && std::string(p.id) == "notify" && !notify_list) {
        st.why = "module_notify_list not in /proc/kallsyms (CONFIG_KALLSYMS_ALL): no LIVE/GOING";
      } else if (p.tracepoint && btf__find_by_name_kind(
                                     vmlinux, (std::string("btf_trace_") + p.function).c_str(),
                                     BTF_KIND_TYPEDEF) >= 0) {
        st.method = "tracepoint";
      } else if (p.tracepoint && !p.has_fentry && !p.has_kprobe) {
        st.why = "no such tracepoint in the kernel's BTF";
      } else if (p.has_fentry && !prefer_kprobe && !lock_kprobes(p) && fentry_ok(p)) {
        st.method = "fentry";
      } else if (p.has_kprobe && t->ksyms_->has_text(p.function)) {
        st.method = "kprobe";
        if (p.has_fentry)
          st.why = prefer_kprobe                           ? "fentry not usable on this kernel"
                   : lock_kprobes(p)                    ? lock_kprobe_why
                   : !btf_has_func(vmlinux, p.function) ? "not in BTF"
                                                        : "not an ftrace location (no fentry)";
      } else {
        st.why = "no such function (inlined or not built in this kernel)";
      }
      std::vector<std::string> names;
      if (!st.method.empty()) {
        names.push_back(method_prefix_entry(st.method) + std::string(p.id));
        if (auto* x = method_prefix_exit(st.method)) names.push_back(x + std::string(p.id));
      }
      for (const auto& n : names)
        if (auto* pr = bpf_object__find_program_by_name(skel->obj, n.c_str()))
          bpf_program__set_autoload(pr, true);
      probes.push_back(std::move(st));
    }

    if (t->provider_ == LockProvider::probe)
      bpf_program__set_autoload(skel->progs.it_task_states, true);

    const auto t_load = std::chrono::steady_clock::now();
    int err = modrace_bpf__load(skel);
    const auto t_loaded = std::chrono::steady_clock::now();
    if (g_verbose)
      std::fprintf(stderr, "modrace: start-up: %.2f s to choose attach points, %.2f s to load\n",
                   std::chrono::duration<double>(t_load - t_start).count(),
                   std::chrono::duration<double>(t_loaded - t_load).count());
    if (g_verbose && !err) {
      // Verification is most of the load time: which programs cost the most.
      std::vector<std::pair<__u32, std::string>> cost;
      bpf_program* pv;
      bpf_object__for_each_program(pv, skel->obj) {
        if (!bpf_program__autoload(pv)) continue;
        bpf_prog_info info{};
        __u32 len = sizeof(info);
        if (bpf_obj_get_info_by_fd(bpf_program__fd(pv), &info, &len) == 0)
          cost.emplace_back(info.verified_insns, bpf_program__name(pv));
      }
      std::sort(cost.rbegin(), cost.rend());
      std::string top;
      for (size_t i = 0; i < cost.size() && i < 8; i++)
        top += fmt::format(" {}={}", cost[i].second, cost[i].first);
      std::fprintf(stderr, "modrace: verified instructions, most costly:%s\n", top.c_str());
    }
    if (err) {
      bool any_fentry = false;
      for (const auto& s : probes) any_fentry |= s.method == "fentry";
      bool more = false;
      for (size_t a = attempt + 1; a < attempts.size(); a++)
        more |= (attempts[a].prefer_kprobe && any_fentry) || (walk_syms && !attempts[a].walk_syms);
      if (more) {
        if (g_verbose)
          std::fprintf(stderr, "modrace: load failed (%s) with%s fentry and with%s the symbol "
                       "walk, retrying\n", errno_text(err).c_str(), prefer_kprobe ? "out" : "",
                       walk_syms ? "" : "out");
        continue;
      }
      throw Error(fmt::format("cannot load the BPF programs: {}{}{}", errno_text(err),
                              g_last_libbpf_warning.empty() ? "" : ": ", g_last_libbpf_warning));
    }

    // Module filters: zero-padded names, as the BPF side reads mod->name whole.
    for (const auto& m : opts.modules) {
      char key[MR_MODULE_NAME_LEN] = {};
      std::memcpy(key, m.data(), m.size());
      __u8 one = 1;
      bpf_map__update_elem(skel->maps.module_filter, key, sizeof(key), &one, sizeof(one), BPF_ANY);
    }

    // Calibration: a getppid() from here runs with nothing held, so whatever preempt count and
    // RCU nesting the probes see is the BPF machinery's own.
    std::vector<bpf_link*> calib_links;
    for (const char* n : {"kp_calib_kp", "fe_calib_fe"}) {
      auto* pr = bpf_object__find_program_by_name(skel->obj, n);
      if (!pr || !bpf_program__autoload(pr)) continue;
      if (auto* l = bpf_program__attach(pr)) calib_links.push_back(l);
    }
    skel->bss->calib_tid = static_cast<__u32>(syscall(SYS_gettid));
    for (int i = 0; i < 8; i++) {
      syscall(SYS_getppid);
      syscall(SYS_delete_module, nullptr, 0);
    }
    skel->bss->calib_tid = 0;
    for (auto* l : calib_links) bpf_link__destroy(l);
    for (int c = 0; c < MR_CTX_MAX; c++) {
      t->calib_.measured[c] = skel->bss->calib_hits[c] > 0;
      if (!t->calib_.measured[c]) continue;
      t->calib_.preempt[c] = skel->bss->calib_preempt[c];
      t->calib_.rcu[c] = skel->bss->calib_rcu[c];
      skel->bss->base_preempt[c] = skel->bss->calib_preempt[c];
      skel->bss->base_rcu[c] = skel->bss->calib_rcu[c];
    }
    for (auto& s : probes)
      if (s.point->group == ProbeGroup::calibration && !s.method.empty()) {
        s.attached = t->calib_.measured[s.method == "kprobe" ? 0 : 1];
        if (!s.attached) s.why = "calibration probe did not fire";
      }

    const auto t_states = std::chrono::steady_clock::now();
    if (opts.attach && t->provider_ == LockProvider::probe) precreate_task_states(skel);
    const auto t_attach = std::chrono::steady_clock::now();

    if (opts.attach) {
      // Reverse table order: each lock family's release probe is attached before its acquire
      // probes, or locks taken meanwhile (by this very process, attaching) would never be
      // popped and would fill its table.
      for (auto it = probes.rbegin(); it != probes.rend(); ++it) {
        auto& s = *it;
        if (s.method.empty() || s.point->group == ProbeGroup::calibration) continue;
        std::vector<bpf_link*> mine;
        bool ok = true;
        // Return probes first (program_names). A program the table promises but the object
        // lacks fails the point: it is never reported as attached.
        const auto names = program_names(*s.point, s.method);
        if (names.empty()) {
          ok = false;
          s.why = fmt::format("the BPF object has no {} program for it", s.method);
        }
        for (const auto& n : names) {
          auto* pr = bpf_object__find_program_by_name(skel->obj, n.c_str());
          if (!pr || !bpf_program__autoload(pr)) {
            ok = false;
            s.why = fmt::format("program {} is missing from the BPF object", n);
            break;
          }
          bpf_link* l = bpf_program__attach(pr);
          if (!l) {
            ok = false;
            s.why = fmt::format("attach {} failed: {}", bpf_program__name(pr), errno_text(errno));
            break;
          }
          mine.push_back(l);
          impl->attached_progs.push_back(pr);
          impl->attached_groups.push_back(s.point->group);
        }
        if (!ok) {
          for (auto* l : mine) bpf_link__destroy(l);
          continue;
        }
        s.attached = true;
        impl->links.insert(impl->links.end(), mine.begin(), mine.end());
      }
      if (g_verbose)
        std::fprintf(stderr, "modrace: start-up: %.2f s to calibrate, %.2f s to create task "
                     "states, %.2f s to attach %zu programs\n",
                     std::chrono::duration<double>(t_states - t_loaded).count(),
                     std::chrono::duration<double>(t_attach - t_states).count(),
                     seconds_since(t_attach), impl->links.size());
      for (const auto& s : probes)
        if (s.point->required && !s.attached)
          throw Error(fmt::format("cannot trace {}: {}", s.point->function,
                                  s.why.empty() ? "not attached" : s.why));
    }

    impl->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), &Impl::on_record, impl.get(),
                                nullptr);
    if (!impl->rb) throw Error("cannot open the ring buffer: " + errno_text(errno));
    for (const auto& s : probes)
      if (std::string(s.point->id) == "module_syms") t->module_syms_bpf_ = s.attached;
    t->probes_ = std::move(probes);
    t->impl_ = std::move(impl);
    // Names of our own programs and trampolines, to cut them from the top of stacks.
    t->refresh_kallsyms();
    return t;
  }
  throw Error("cannot load the BPF programs");
}

void Tracer::refresh_kallsyms() { ksyms_ = std::make_unique<Kallsyms>(Kallsyms::read()); }

std::vector<std::string> Tracer::features() const {
  std::vector<std::string> out;
  out.push_back(fmt::format("locks={}", to_string(provider_)));
  for (const auto& s : probes_)
    if (s.attached && std::string(s.point->id) != "module_syms")
      out.push_back(fmt::format("{}={}", s.point->function, s.method));
  out.push_back(fmt::format("module_symbols={}", module_syms_bpf_ ? "bpf" : "kallsyms"));
  out.push_back(fmt::format("preempt={}", preempt_.model));
  for (int c = 0; c < 2; c++)
    if (calib_.measured[c])
      out.push_back(fmt::format("calibration.{}=preempt:{},rcu:{}", c == 0 ? "kprobe" : "fentry",
                                calib_.preempt[c], calib_.rcu[c]));
  return out;
}

int Tracer::poll(int timeout_ms, const std::function<void(Event&)>& fn) {
  impl_->current_fn = &fn;
  impl_->handled = 0;
  int err = ring_buffer__poll(impl_->rb, timeout_ms);
  // Records submitted without a wakeup (submit_batched) are read here, at the latest when the
  // timeout expires.
  if (err >= 0 || err == -EINTR) {
    int c = ring_buffer__consume(impl_->rb);
    if (c < 0 && err >= 0) err = c;
  }
  impl_->flush_symbols();
  impl_->current_fn = nullptr;
  if (err == -EINTR) return impl_->handled ? impl_->handled : -1;
  if (err < 0) throw Error("ring buffer: " + errno_text(err));
  return impl_->handled;
}

std::vector<std::pair<std::string, uint64_t>> Tracer::recursion_misses() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (int k = 0; k < 8; k++)
    if (impl_->skel->bss->overflow_kind[k])
      out.emplace_back(fmt::format("lock table overflow with lock kind {} on top", k),
                       impl_->skel->bss->overflow_kind[k]);
  for (auto* pr : impl_->attached_progs) {
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(pr), &info, &len) == 0 && info.recursion_misses)
      out.emplace_back(bpf_program__name(pr), info.recursion_misses);
  }
  return out;
}

DropCounters Tracer::drops() const {
  DropCounters d;
  // Read through the mmap-ed .bss, never by a map syscall (see drop_counts in modrace.bpf.c).
  for (__u32 cause = 0; cause < MR_DROP_CAUSE_MAX; cause++)
    d.by_cause[cause] += __atomic_load_n(&impl_->skel->bss->drop_counts[cause], __ATOMIC_RELAXED);
  // The kernel skips a program that would recurse on its CPU (our programs take locks of their
  // own, interrupts nest) and counts it per program. For a lock-primitive probe on a kernel whose
  // task context cannot preempt a BPF program, the skipped run was an interrupt (or BPF's own
  // locking) nested in the probe, which lock tracking ignores anyway: informational. So for a
  // kprobe program anywhere (it runs with preemption off). Only an fentry program under
  // preempt=full/lazy/RT may have been skipped for another task's lock operation: a loss (the
  // loader picks kprobes for the lock probes there, so this is the --locks probe fallback case).
  const bool harmless = preempt_.task_cannot_preempt_probes();
  for (size_t i = 0; i < impl_->attached_progs.size(); i++) {
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(impl_->attached_progs[i]), &info, &len) != 0)
      continue;
    bool lock_probe = impl_->attached_groups[i] == ProbeGroup::locks;
    // kprobe programs run with preemption off: only an interrupt (or our own helpers' locks)
    // can have nested. Also skipped: kprobe runs on a CPU where some process's BPF syscall has
    // raised bpf_prog_active and was preempted (preemptible kernels); modrace makes no such
    // syscall while recording, another BPF user on the machine could (docs/tracer.md).
    // The same holds for lockdep's lock_acquire tracepoint program (raw tracepoints run with
    // preemption off): there every run nests once, on the rcu_read_lock of its own runner.
    const char* name = bpf_program__name(impl_->attached_progs[i]);
    bool kprobe = std::strncmp(name, "k", 1) == 0;
    bool tracepoint = std::strncmp(name, "tp_", 3) == 0;
    bool lockdep_probe = impl_->attached_groups[i] == ProbeGroup::lockdep;
    bool informational = (lock_probe && (harmless || kprobe)) ||
                         (lockdep_probe && (harmless || kprobe || tracepoint));
    d[informational ? DropCause::lock_recursion_irq : DropCause::lock_recursion] +=
        info.recursion_misses;
  }
  return d;
}

}  // namespace modrace::loader
