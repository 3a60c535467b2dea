// SPDX-License-Identifier: GPL-2.0-only
//
// Helpers shared by the trace_*_test.cpp files: temporary files and a stream that uses every
// event kind and every field.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "events/error.h"
#include "events/source.h"
#include "trace/trace_file.h"

namespace modrace::test {

// A file under the test's temporary directory, removed at the end of the scope.
class TempFile {
 public:
  explicit TempFile(const std::string& stem) {
    auto dir = std::filesystem::temp_directory_path();
    path_ = (dir / (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++) +
                    ".mrtrace"))
                .string();
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }
  std::string read() const {
    std::ifstream f(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  void write(const std::string& bytes) const {
    std::ofstream f(path_, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::string path_;
};

inline TraceMeta sample_meta() {
  TraceMeta m;
  m.kernel_release = "6.1.0-test";
  m.hostname = "vm";
  m.modrace_version = "0.1.0";
  m.lock_provider = LockProvider::probe;
  m.features = {"try_module_get=kprobe", "module_put=tracepoint"};
  m.start_ts_ns = 123456789;
  m.start_realtime_ns = 1700000000123456789ull;
  return m;
}

inline LockContext sample_locks(int variant) {
  LockContext lc;
  lc.preempt_count = variant % 3;
  lc.rcu_depth = static_cast<uint16_t>(variant % 2);
  lc.irqs_disabled = variant % 5 == 0;
  lc.in_interrupt = variant % 7 == 0;
  lc.provider = LockProvider::probe;
  for (int i = 0; i < variant % 4; i++)
    lc.push({.addr = 0xffffffff82000000ull + 0x40 * i,
             .acquire_ip = 0xffffffff81000100ull + i,
             .kind = static_cast<LockKind>(1 + (i + variant) % 10),  // every LockKind
             .class_key = variant == 3 ? 0xffffffff83000000ull + i : 0,
             .flags = static_cast<uint8_t>((i + variant) % 8)});
  if (variant == 9) {
    for (int i = 0; i < kMaxHeldLocks + 1; i++) lc.push({.addr = 0x1000u + i});
  }
  return lc;
}

// Every event kind with every field set to something distinguishable. Stacks are interned into
// `stacks` in order of first use, so file ids equal these ids.
inline std::vector<Event> every_kind_events(StackTable& stacks) {
  std::vector<Event> out;
  uint64_t ts = 1000;
  auto base = [&](EventKind k, uint32_t tid) {
    Event e;
    e.kind = k;
    ts += 1234;
    e.ts_ns = ts;
    e.cpu = tid % 4;
    e.pid = tid / 2;
    e.tid = tid;
    e.set_comm(tid % 2 ? "insmod" : "a-very-long-comm-name");
    std::vector<uint64_t> frames{0xffffffff81000010ull + tid, 0xffffffffc0000020ull,
                                 0xffffffff81234567ull};
    e.stack = tid % 3 ? stacks.intern(frames) : 0;
    return e;
  };
  constexpr uint64_t mod = 0xffffffffc0100000ull;
  {
    Event e = base(EventKind::module_load, 10);
    e.data = ModuleLoad{mod,   "seed_core", 0xffffffffc0000000ull, 0x2000, 0xffffffffc0010000ull,
                        0x400, false};
    out.push_back(e);
    Event p = base(EventKind::module_load, 11);
    p.data = ModuleLoad{mod + 0x1000, "preloaded", 1, 2, 0, 0, true};
    out.push_back(p);
  }
  for (int s = 0; s < 4; s++) {
    Event e = base(EventKind::module_state, 12);
    e.data = ModuleStateChange{mod, static_cast<ModuleState>(s)};
    out.push_back(e);
  }
  for (int k = 0; k < 10; k++) {
    for (EventKind kind :
         {EventKind::try_module_get, EventKind::module_get, EventKind::module_put}) {
      Event e = base(kind, 20 + k);
      RefcountOp op{mod, 0xffffffffc0000040ull + k, k - 1, k % 4 != 3, sample_locks(k)};
      if (kind == EventKind::try_module_get && k % 3)  // --widen marks (format 1.5)
        op.widen = k % 3 == 1 ? WidenMark::held : WidenMark::capped, op.widen_us = 5000 + k;
      e.data = op;
      out.push_back(e);
    }
  }
  for (int ph = 0; ph < 2; ph++) {
    for (EventKind kind : {EventKind::driver_register, EventKind::driver_unregister}) {
      Event e = base(kind, 30 + ph);
      e.data = DriverOp{
          static_cast<Phase>(ph), 0xffffffffc0002000ull, mod, ph ? -16 : 0, "seed_drv", "platform",
          sample_locks(ph + 2)};
      out.push_back(e);
    }
    Event d = base(EventKind::delete_module, 40);
    d.data = DeleteModule{static_cast<Phase>(ph), "seed_core", 04000 | 01000, ph ? -11 : 0};
    out.push_back(d);
  }
  {
    Event e = base(EventKind::unload_lock, 40);
    e.data = UnloadLock{0xffffffff82000040ull, 0xffffffff81000200ull, LockKind::rwsem_write, 0xabc};
    out.push_back(e);
    Event s = base(EventKind::unload_lock, 40);
    s.data = UnloadLock{0xffffffff82000080ull, 0xffffffff81000280ull, LockKind::srcu_sync, 0};
    out.push_back(s);
    Event r = base(EventKind::unload_rcu_sync, 40);
    r.data = UnloadRcuSync{0xffffffff81000300ull};
    out.push_back(r);
    Event f = base(EventKind::module_free, 40);
    f.data = ModuleFree{mod};
    out.push_back(f);
  }
  // Out-of-order timestamps (per-CPU buffers) and extreme values must survive too.
  Event back = base(EventKind::module_put, 41);
  back.ts_ns = 5;
  back.cpu = 4095;
  back.pid = UINT32_MAX;
  back.tid = UINT32_MAX;
  back.data = RefcountOp{UINT64_MAX, 0, INT32_MIN, false, {}};
  out.push_back(back);
  Event big = base(EventKind::delete_module, 42);
  big.ts_ns = UINT64_MAX;
  big.data = DeleteModule{Phase::exit, "", UINT32_MAX, INT64_MIN};
  out.push_back(big);
  return out;
}

inline std::vector<KernelSymbol> sample_symbols() {
  return {{0xffffffff81000000ull, 'T', "try_module_get", ""},
          {0xffffffff81000100ull, 'T', "module_put", ""},
          {0xffffffff82000000ull, 'd', "misc_mtx", ""},
          {0xffffffffc0000000ull, 't', "seed_open", "seed_core", 0x100},
          {0xffffffffc0000100ull, 't', "seed_release", "seed_core", 0x80}};
}

// `syms` holding sample_symbols(), finalized: what a trace of every_kind_events() carries.
inline void add_sample_symbols(SymbolTable& syms) {
  for (auto& s : sample_symbols()) syms.add(s);
  syms.finalize();
}

}  // namespace modrace::test
