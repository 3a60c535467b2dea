// SPDX-License-Identifier: GPL-2.0-only
//
// The sequence of Tracer::open (privileges, kernel features, attach plan, load with retries,
// calibration, task states, attach, ring buffer) and the ring-buffer reader. The decisions live
// in kernel_features.cpp, attach_plan.cpp and calibration.cpp.
#include "loader/tracer.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "events/clock.h"
#include "events/error.h"
#include "events/log.h"
#include "events/printable.h"
#include "loader/load_failure.h"
#include "loader/skel.h"
#include "loader/symbol_records.h"
#include "loader/wire.h"
#include "version.h"

namespace modrace::loader {

namespace {

std::string g_last_libbpf_warning;  // quoted in load errors when not verbose
std::string g_load_warnings;        // every warning of the load in progress (load_failure.h)

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
    g_load_warnings += buf;
    g_last_libbpf_warning = buf;
    while (!g_last_libbpf_warning.empty() && g_last_libbpf_warning.back() == '\n')
      g_last_libbpf_warning.pop_back();
  }
  if (level != LIBBPF_DEBUG || std::getenv("MODRACE_LIBBPF_DEBUG"))
    log::verbose_passthrough("libbpf: ", buf);
  return 0;
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
      if (pass) log::verbose("task lock states created in {} passes", pass + 1);
      return;
    }
    usleep(20 * 1000);
  }
  log::verbose("{} tasks still without lock state after 100 passes", skel->bss->precreate_failed);
}

// Seconds since `start`, for the start-up stage timings shown with -v.
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

// The BPF side of one load attempt: the skeleton, and once loaded the ring buffer and the links.
// Destroying it detaches everything.
struct LoadedBpf {
  modrace_bpf* skel = nullptr;
  ring_buffer* rb = nullptr;
  std::vector<bpf_link*> links;
  std::vector<bpf_program*> attached_progs;
  std::vector<ProbeGroup> attached_groups;  // parallel to attached_progs

  ~LoadedBpf() {
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
    if (!links.empty())
      log::verbose("detached {} programs in {:.2f} s", links.size(), seconds_since(t_detach));
    if (skel) modrace_bpf__destroy(skel);
  }
};

// Reverse table order: each lock family's release probe is attached before its acquire
// probes, or locks taken meanwhile (by this very process, attaching) would never be
// popped and would fill its table.
// Reverse table order: each lock family's release probe is attached before its acquire probes,
// or locks taken meanwhile (by this very process, attaching) would never be popped and would
// fill its table; the symbol walk before module_load (probes.cpp).
void attach_in_reverse_table_order(LoadedBpf* impl, std::vector<ProbeStatus>& probes) {
  auto* skel = impl->skel;
  for (auto it = probes.rbegin(); it != probes.rend(); ++it) {
    auto& s = *it;
    if (s.method.empty() || s.point->group == ProbeGroup::calibration) continue;
    std::vector<bpf_link*> mine;
    bool ok = true;
    // Return probes first (program_names). A program the table promises but the object lacks
    // fails the point: it is never reported as attached.
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
}

}  // namespace

struct Tracer::Impl {
  std::unique_ptr<LoadedBpf> bpf;
  std::vector<ProbeStatus> probes;
  LockProvider provider = LockProvider::off;
  Calibration calib;
  PreemptModel preempt;
  bool module_syms_bpf = false;
  std::unique_ptr<Kallsyms> ksyms;
  StackTable stacks;
  uint64_t malformed = 0;
  SymbolSink symbol_sink;
  uint64_t module_syms_seen = 0;

  // The poll in progress: its callback and the number of events handed to it.
  const std::function<void(Event&)>* current_fn = nullptr;
  int handled = 0;
  // Record after record: decode_record fills it in place (no event built per record).
  Event ev;

  // Module symbol records: whose they are, and those not yet handed to the sink.
  SymbolRecordOwners symbol_owners;
  std::vector<KernelSymbol> symbol_batch;

  // --widen: the sites, one BPF slot each, filled as their module's symbols arrive.
  std::vector<WidenSpec> widen;
  void resolve_widen_sites(std::span<const KernelSymbol> syms) {
    for (size_t i = 0; i < widen.size(); i++) {
      auto range = resolve_widen(widen[i], syms);
      if (!range) continue;
      // Written through the mmap-ed .bss, end last: the program never sees a half-written slot.
      auto& w = bpf->skel->bss->widen_sites[i];
      __atomic_store_n(&w.end, 0, __ATOMIC_RELEASE);
      w.start = range->first;
      w.delay_us = widen[i].delay_us;
      __atomic_store_n(&w.end, range->second, __ATOMIC_RELEASE);
      log::note("widening {} ({:#x}..{:#x}) by {} us", printable(widen[i].text), range->first,
                range->second, widen[i].delay_us);
    }
  }

  void flush_symbols() {
    if (symbol_batch.empty()) return;
    if (!widen.empty()) resolve_widen_sites(symbol_batch);
    if (symbol_sink) symbol_sink(symbol_batch);
    symbol_batch.clear();
  }

  // Text ranges of modules loaded since the kallsyms snapshot (never mistaken for BPF frames).
  std::vector<std::pair<uint64_t, uint64_t>> new_module_text;

  void on_symbol(const void* data, size_t size) {
    uint64_t mod = 0;
    KernelSymbol sym;
    if (!decode_symbol(data, size, mod, sym)) {
      malformed++;
      return;
    }
    module_syms_seen++;
    if (symbol_owners.name(mod, sym)) symbol_batch.push_back(std::move(sym));
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
        self->malformed++;
      return 0;
    }
    // Symbols first: the events after them may point into that module.
    self->flush_symbols();
    Event& ev = self->ev;
    const Kallsyms* k = self->ksyms.get();
    // kallsyms is the start-up snapshot: the text of a module loaded since then lies above some
    // "[bpf]" symbol in it and would pass for ours, losing the module's frames from stacks.
    FrameFilter own = [k, self](uint64_t a) {
      if (!k->is_bpf(a)) return false;  // most frames: one binary search, no range scan
      for (const auto& [start, size] : self->new_module_text)
        if (a - start < size) return false;
      return true;
    };
    if (!decode_record(data, size, self->stacks, ev, own)) {
      self->malformed++;
      return 0;
    }
    self->handled++;
    self->symbol_owners.on_event(ev);
    if (auto* m = std::get_if<ModuleLoad>(&ev.data); m && !m->preexisting) {
      if (m->core_text_size)
        self->new_module_text.emplace_back(m->core_text_start, m->core_text_size);
      if (m->init_text_size)
        self->new_module_text.emplace_back(m->init_text_start, m->init_text_size);
    }
    if (self->current_fn) (*self->current_fn)(ev);
    return 0;
  }
};

Tracer::Tracer() : impl_(std::make_unique<Impl>()) {}
Tracer::~Tracer() = default;

const std::vector<ProbeStatus>& Tracer::probes() const { return impl_->probes; }
LockProvider Tracer::lock_provider() const { return impl_->provider; }
const Calibration& Tracer::calibration() const { return impl_->calib; }
const Kallsyms& Tracer::kallsyms() const { return *impl_->ksyms; }
const PreemptModel& Tracer::preempt_model() const { return impl_->preempt; }
bool Tracer::module_symbols_from_bpf() const { return impl_->module_syms_bpf; }
void Tracer::set_symbol_sink(SymbolSink sink) { impl_->symbol_sink = std::move(sink); }
uint64_t Tracer::module_symbols_seen() const { return impl_->module_syms_seen; }
uint64_t Tracer::module_symbols_unnamed() const { return impl_->symbol_owners.unnamed(); }
StackTable& Tracer::stacks() { return impl_->stacks; }
uint64_t Tracer::malformed_records() const { return impl_->malformed; }

TraceMeta Tracer::trace_meta() const {
  TraceMeta meta;
  utsname u{};
  uname(&u);
  meta.kernel_release = u.release;
  meta.hostname = u.nodename;
  meta.modrace_version = MODRACE_VERSION;
  meta.lock_provider = lock_provider();
  meta.features = features();
  meta.start_ts_ns = monotonic_ns();
  meta.start_realtime_ns = realtime_ns();
  return meta;
}

std::unique_ptr<Tracer> Tracer::open(const TracerOptions& opts) {
  libbpf_set_print(libbpf_log);
  if (geteuid() != 0)
    throw Error("needs root: BPF programs, kprobes and /proc/kallsyms addresses need it");
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    throw Error("the kernel has no BTF (/sys/kernel/btf/vmlinux missing: CONFIG_DEBUG_INFO_BTF)");
  if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, nullptr) <= 0)
    throw Error(
        "BPF is not available: cannot load a kprobe program (CONFIG_BPF_SYSCALL, "
        "lockdown, or a seccomp filter)");

  const auto t_start = std::chrono::steady_clock::now();
  std::unique_ptr<Tracer> t(new Tracer());
  Impl& st = *t->impl_;
  st.ksyms = std::make_unique<Kallsyms>(Kallsyms::read());
  if (st.ksyms->addresses_hidden())
    throw Error("/proc/kallsyms shows no addresses (kernel.kptr_restrict): cannot name modules");

  KernelFeatures k;
  {
    btf* vmlinux = btf__load_vmlinux_btf();
    if (!vmlinux) throw Error("cannot read the kernel's BTF: " + errno_text(errno));
    struct BtfGuard {
      btf* b;
      ~BtfGuard() { btf__free(b); }
    } guard{vmlinux};
    k = probe_kernel_features(vmlinux, *st.ksyms);
  }
  st.provider = choose_lock_provider(opts.locks, k);
  if (opts.modules.size() > 16) throw Error("--module: at most 16 modules");
  for (const auto& m : opts.modules)
    if (m.empty() || m.size() >= MR_MODULE_NAME_LEN) throw Error("--module: bad name '" + m + "'");
  uint64_t rb_size = opts.ringbuf_size;
  if (rb_size < 4096 || (rb_size & (rb_size - 1)))
    throw Error("--ringbuf-size: must be a power of two of at least 4096 bytes");
  st.preempt = k.preempt;
  if (opts.widen.size() > kMaxWidenSites)
    throw Error(fmt::format("--widen: at most {} sites", kMaxWidenSites));
  if (!opts.widen.empty() && !k.bpf_loop)
    throw Error(
        "--widen: this kernel has no bpf_loop (Linux 5.17): the hold at a get site could not "
        "be bounded");

  const std::vector<LoadAttempt> attempts = load_attempts(opts.prefer_kprobe, k.bpf_loop);
  for (size_t attempt = 0; attempt < attempts.size(); attempt++) {
    bool prefer_kprobe = attempts[attempt].prefer_kprobe;
    bool walk_syms = attempts[attempt].walk_syms;
    auto impl = std::make_unique<LoadedBpf>();
    impl->skel = modrace_bpf__open();
    if (!impl->skel) throw Error("cannot open the BPF object: " + errno_text(errno));
    auto* skel = impl->skel;
    skel->rodata->cfg_lock_provider = static_cast<__u32>(st.provider);
    skel->rodata->cfg_nr_filters = static_cast<__u32>(opts.modules.size());
    skel->rodata->cfg_module_notify_list = k.module_notify_list.value_or(0);
    {
      int i = 0;
      for (const char* m : {"rcu_lock_map", "rcu_bh_lock_map", "rcu_sched_lock_map"})
        skel->rodata->cfg_rcu_maps[i++] = st.ksyms->address(m).value_or(0);
    }
    bpf_map__set_max_entries(skel->maps.events, static_cast<__u32>(rb_size));
    // Refcount records wake the reader per eighth of the ring (submit_batched in the program).
    skel->rodata->cfg_wakeup_bytes = rb_size / 8;

    // Every program starts disabled; each attach point enables the flavour it chose.
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(prog, false);

    std::vector<ProbeStatus> probes =
        plan_attach(k, {st.provider, prefer_kprobe, walk_syms, !opts.widen.empty()});
    for (const auto& s : probes)
      for (const auto& n : program_names(*s.point, s.method))
        if (auto* pr = bpf_object__find_program_by_name(skel->obj, n.c_str()))
          bpf_program__set_autoload(pr, true);

    if (st.provider == LockProvider::probe)
      bpf_program__set_autoload(skel->progs.it_task_states, true);

    const auto t_load = std::chrono::steady_clock::now();
    g_load_warnings.clear();
    int err = modrace_bpf__load(skel);
    const auto t_loaded = std::chrono::steady_clock::now();
    log::verbose("start-up: {:.2f} s to choose attach points, {:.2f} s to load",
                 std::chrono::duration<double>(t_load - t_start).count(),
                 std::chrono::duration<double>(t_loaded - t_load).count());
    if (log::verbose_enabled() && !err) {
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
      log::verbose("verified instructions, most costly:{}", top);
    }
    if (err) {
      if (retry_may_help(attempts, attempt, probes)) {
        log::verbose("load failed ({}) with{} fentry and with{} the symbol walk, retrying",
                     errno_text(err), prefer_kprobe ? "out" : "", walk_syms ? "" : "out");
        continue;
      }
      // Name the missing feature when the warnings or the system say which.
      LoadEnvironment env;
      env.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
      env.kprobe_pmu = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;
      if (std::string why = explain_load_failure(g_load_warnings, env); !why.empty())
        throw Error("cannot load the BPF programs: " + why);
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

    st.calib = calibrate(skel);
    mark_calibration_probes(st.calib, probes);

    const auto t_states = std::chrono::steady_clock::now();
    if (opts.attach && st.provider == LockProvider::probe) precreate_task_states(skel);
    const auto t_attach = std::chrono::steady_clock::now();

    if (opts.attach) {
      attach_in_reverse_table_order(impl.get(), probes);
      log::verbose(
          "start-up: {:.2f} s to calibrate, {:.2f} s to create task states, {:.2f} s "
          "to attach {} programs",
          std::chrono::duration<double>(t_states - t_loaded).count(),
          std::chrono::duration<double>(t_attach - t_states).count(), seconds_since(t_attach),
          impl->links.size());
      for (const auto& s : probes)
        if (s.point->required && !s.attached)
          throw Error(fmt::format("cannot trace {}: {}", s.point->function,
                                  s.why.empty() ? "not attached" : s.why));
      for (const auto& s : probes)
        if (s.point->group == ProbeGroup::widen && !opts.widen.empty() && !s.attached &&
            std::string(s.point->id) == "widen_try_module_get")
          throw Error("--widen: cannot hold gets at try_module_get: " +
                      (s.why.empty() ? std::string("not attached") : s.why));
    }

    impl->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), &Impl::on_record, &st, nullptr);
    if (!impl->rb) throw Error("cannot open the ring buffer: " + errno_text(errno));
    for (const auto& s : probes)
      if (std::string(s.point->id) == "module_syms") st.module_syms_bpf = s.attached;
    st.probes = std::move(probes);
    st.bpf = std::move(impl);
    // Sites in vmlinux and in modules already loaded; the others as their module loads.
    st.widen = opts.widen;
    if (!st.widen.empty()) st.resolve_widen_sites(st.ksyms->symbols());
    // Names of our own programs and trampolines, to cut them from the top of stacks.
    t->refresh_kallsyms();
    return t;
  }
  throw Error("cannot load the BPF programs");
}

void Tracer::refresh_kallsyms() { impl_->ksyms->refresh_modules(); }

std::vector<std::string> Tracer::features() const {
  std::vector<std::string> out;
  out.push_back(fmt::format("locks={}", to_string(impl_->provider)));
  for (const auto& s : impl_->probes)
    if (s.attached && std::string(s.point->id) != "module_syms")
      out.push_back(fmt::format("{}={}", s.point->function, s.method));
  out.push_back(fmt::format("module_symbols={}", impl_->module_syms_bpf ? "bpf" : "kallsyms"));
  out.push_back(fmt::format("preempt={}", impl_->preempt.model));
  for (int c = 0; c < 2; c++)
    if (impl_->calib.measured[c])
      out.push_back(fmt::format("calibration.{}=preempt:{},rcu:{}", c == 0 ? "kprobe" : "fentry",
                                impl_->calib.preempt[c], impl_->calib.rcu[c]));
  return out;
}

int Tracer::poll(int timeout_ms, const std::function<void(Event&)>& fn) {
  impl_->current_fn = &fn;
  impl_->handled = 0;
  int err = ring_buffer__poll(impl_->bpf->rb, timeout_ms);
  // Records submitted without a wakeup (submit_batched) are read here, at the latest when the
  // timeout expires.
  if (err >= 0 || err == -EINTR) {
    int c = ring_buffer__consume(impl_->bpf->rb);
    if (c < 0 && err >= 0) err = c;
  }
  impl_->flush_symbols();
  impl_->current_fn = nullptr;
  if (err == -EINTR) return impl_->handled ? impl_->handled : -1;
  if (err < 0) throw Error("ring buffer: " + errno_text(err));
  return impl_->handled;
}

WidenTotals Tracer::widen_totals() const {
  const auto* c = impl_->bpf->skel->bss->widen_counts;
  return {__atomic_load_n(&c[0], __ATOMIC_RELAXED), __atomic_load_n(&c[1], __ATOMIC_RELAXED),
          __atomic_load_n(&c[2], __ATOMIC_RELAXED)};
}

std::string Tracer::lock_table_detail() const {
  const auto* bss = impl_->bpf->skel->bss;
  std::vector<std::string> parts;
  uint64_t full = 0;
  for (const auto& n : bss->overflow_kind) full += __atomic_load_n(&n, __ATOMIC_RELAXED);
  if (full) parts.push_back(fmt::format("{} locks past a full task lock table", full));
  static constexpr const char* kWhy[MR_UNLOAD_LOST_WHY] = {
      "unload-lock map full (E2BIG)", "unload-lock map out of elements (ENOMEM)",
      "unload-lock bucket busy (EBUSY)", "unload-lock update failed otherwise",
      "delete_module calls beyond the unloading map"};
  for (int i = 0; i < MR_UNLOAD_LOST_WHY; i++)
    if (uint64_t n = __atomic_load_n(&bss->unload_lost_why[i], __ATOMIC_RELAXED))
      parts.push_back(fmt::format("{}: {}", kWhy[i], n));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::vector<std::pair<std::string, uint64_t>> Tracer::recursion_misses() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (int k = 0; k < 8; k++)
    if (impl_->bpf->skel->bss->overflow_kind[k])
      out.emplace_back(fmt::format("lock table overflow with lock kind {} on top", k),
                       impl_->bpf->skel->bss->overflow_kind[k]);
  for (auto* pr : impl_->bpf->attached_progs) {
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(pr), &info, &len) == 0 && info.recursion_misses)
      out.emplace_back(bpf_program__name(pr), info.recursion_misses);
  }
  return out;
}

std::vector<Tracer::ProgramCost> Tracer::program_costs() const {
  std::vector<ProgramCost> out;
  for (auto* pr : impl_->bpf->attached_progs) {
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(pr), &info, &len) == 0 && info.run_cnt)
      out.push_back({bpf_program__name(pr), info.run_cnt, info.run_time_ns});
  }
  return out;
}

DropCounters Tracer::drops() const {
  DropCounters d;
  // Read through the mmap-ed .bss, never by a map syscall (see drop_counts in bpf/core.bpf.h).
  for (__u32 cause = 0; cause < MR_DROP_CAUSE_MAX; cause++)
    d.add(static_cast<DropCause>(cause),
          __atomic_load_n(&impl_->bpf->skel->bss->drop_counts[cause], __ATOMIC_RELAXED));
  // The kernel skips a program that would recurse on its CPU (our programs take locks of their
  // own, interrupts nest) and counts it per program. For a lock-primitive probe on a kernel whose
  // task context cannot preempt a BPF program, the skipped run was an interrupt (or BPF's own
  // locking) nested in the probe, which lock tracking ignores anyway: informational. So for a
  // kprobe program anywhere (it runs with preemption off). Only an fentry program under
  // preempt=full/lazy/RT may have been skipped for another task's lock operation: a loss (the
  // loader picks kprobes for the lock probes there, so this is the --locks probe fallback case).
  const bool harmless = impl_->preempt.task_cannot_preempt_probes();
  for (size_t i = 0; i < impl_->bpf->attached_progs.size(); i++) {
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(impl_->bpf->attached_progs[i]), &info, &len) != 0)
      continue;
    bool lock_probe = impl_->bpf->attached_groups[i] == ProbeGroup::locks;
    // kprobe programs run with preemption off: only an interrupt (or our own helpers' locks)
    // can have nested. Also skipped: kprobe runs on a CPU where some process's BPF syscall has
    // raised bpf_prog_active and was preempted (preemptible kernels); modrace makes no such
    // syscall while recording, another BPF user on the machine could (docs/tracer.md).
    // The same holds for lockdep's lock_acquire tracepoint program (raw tracepoints run with
    // preemption off): there every run nests once, on the rcu_read_lock of its own runner.
    const char* name = bpf_program__name(impl_->bpf->attached_progs[i]);
    bool kprobe = std::strncmp(name, "k", 1) == 0;
    bool tracepoint = std::strncmp(name, "tp_", 3) == 0;
    bool lockdep_probe = impl_->bpf->attached_groups[i] == ProbeGroup::lockdep;
    bool informational = (lock_probe && (harmless || kprobe)) ||
                         (lockdep_probe && (harmless || kprobe || tracepoint));
    d.add(informational ? DropCause::lock_recursion_irq : DropCause::lock_recursion,
          info.recursion_misses);
  }
  return d;
}

}  // namespace modrace::loader
