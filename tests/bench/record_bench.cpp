// SPDX-License-Identifier: GPL-2.0-only
//
// The reader's per-event cost while recording (`modrace record`), natively: ring-buffer records
// as the BPF programs write them, converted to events (loader/wire.h) and written to a trace file
// (what Tracer and cmd_record do per record), without a kernel. Under TCG this time is taken from
// the traced workload (both vCPUs share one host core), so it is most of modrace's per-event
// overhead there (docs/performance.md).
//
//   record_bench [--records N] [--out FILE]
#include <linux/types.h>

#include <time.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "loader/kallsyms.h"
#include "loader/wire.h"
#include "trace/trace_file.h"

extern "C" {
#include "modrace_abi.h"
}

using namespace modrace;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Records shaped like a driver open/close loop: a few dozen distinct 12-20 frame stacks, a get
// and a put per pair, 0-2 held locks, one task per CPU. A pool the runs cycle through, small
// enough to stay in cache as the ring buffer's pages do while the reader keeps up.
std::vector<mr_ev_refcount> make_records(size_t n) {
  std::mt19937_64 rng(1);
  std::vector<std::vector<uint64_t>> stacks(48);
  for (auto& s : stacks) {
    s.resize(12 + rng() % 9);
    for (auto& f : s) f = 0xffffffff81000000ull + (rng() % 0x1000000);
  }
  std::vector<mr_ev_refcount> recs(n);
  uint64_t ts = 1'000'000'000;
  for (size_t i = 0; i < n; i++) {
    mr_ev_refcount& r = recs[i];
    std::memset(&r, 0, sizeof r);
    const auto& s = stacks[(i / 2) % stacks.size()];
    r.hdr.kind = (i & 1) ? MR_EV_MODULE_PUT : MR_EV_TRY_MODULE_GET;
    r.hdr.cpu = static_cast<__u32>(i % 2);
    r.hdr.ts_ns = ts += 500 + rng() % 1000;
    r.hdr.pid = r.hdr.tid = 1000 + static_cast<__u32>(i % 2);
    std::strcpy(r.hdr.comm, "bench-open");
    r.hdr.nr_frames = static_cast<__u16>(s.size());
    r.module = 0xffffffffc0a00000ull;
    r.caller_ip = s[1];
    r.refcount = 2 + static_cast<__s32>(i % 3);
    r.success = 1;
    r.locks.provider = MR_LOCKS_PROBE;
    r.locks.nr_locks = static_cast<__u8>((i / 2) % 3);
    for (int k = 0; k < r.locks.nr_locks; k++) {
      r.locks.locks[k].addr = 0xffff888003000000ull + 64 * k;
      r.locks.locks[k].acquire_ip = s[2] + k;
      r.locks.locks[k].kind = MR_LOCK_MUTEX;
    }
    // As the BPF side sends it (bpf/modrace_abi.h): the held locks, then the frames.
    size_t before = offsetof(mr_ev_refcount, locks.locks) + r.locks.nr_locks * sizeof(mr_held_lock);
    std::memcpy(reinterpret_cast<char*>(&r) + before, s.data(), s.size() * sizeof(uint64_t));
    r.hdr.size = static_cast<__u16>(before + s.size() * sizeof(uint64_t));
  }
  return recs;
}

// A /proc/kallsyms of a Debian kernel's size (~150k vmlinux symbols) with modrace's programs and
// trampolines ("[bpf]") above the modules: the tracer drops our own frames from each stack by it.
loader::Kallsyms make_kallsyms(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return loader::Kallsyms::read(path);
  for (int i = 0; i < 150000; i++)
    std::fprintf(f, "%016llx T vmlinux_fn_%d\n", 0xffffffff81000000ull + 0x100ull * i, i);
  for (int i = 0; i < 70; i++)
    std::fprintf(f, "%016llx t bpf_prog_%04x_kp_%d\t[bpf]\n", 0xffffffffc0200000ull + 0x1000ull * i,
                 i, i);
  std::fclose(f);
  auto k = loader::Kallsyms::read(path);
  std::remove(path.c_str());
  return k;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 2'000'000;
  std::string out = "/tmp/modrace-record-bench.trace";
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--records" && i + 1 < argc)
      n = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--out" && i + 1 < argc)
      out = argv[++i];
    else {
      std::fprintf(stderr, "usage: record_bench [--records N] [--out FILE]\n");
      return 2;
    }
  }
  auto recs = make_records(4096);
  auto ksyms = make_kallsyms(out + ".kallsyms");
  // The tracer's filter (loader/tracer.cpp): a frame in BPF text is ours.
  loader::FrameFilter own = [&ksyms](uint64_t a) { return ksyms.is_bpf(a); };

  // Pass 1: decoding alone (ring record -> event, stack interned).
  StackTable stacks;
  Event ev;
  uint64_t sum = 0;
  double c0 = cpu_seconds();
  for (size_t i = 0; i < n; i++) {
    const auto& r = recs[i % recs.size()];
    if (!loader::decode_record(&r, r.hdr.size, stacks, ev, own)) return 1;
    sum += ev.stack;
  }
  double t_decode = cpu_seconds() - c0;

  // Pass 2: decoding and writing the trace, as `modrace record` does.
  TraceMeta meta;
  meta.kernel_release = "bench";
  auto w = TraceWriter::create(out, meta);
  StackTable stacks2;
  c0 = cpu_seconds();
  for (size_t i = 0; i < n; i++) {
    const auto& r = recs[i % recs.size()];
    if (!loader::decode_record(&r, r.hdr.size, stacks2, ev, own)) return 1;
    w->write(ev, stacks2);
  }
  w->close();
  double t_all = cpu_seconds() - c0;
  double bytes_per_event = static_cast<double>(w->bytes_written()) / n;
  std::remove(out.c_str());
  if (sum == 42) std::puts("");

  std::printf("records: %zu (%zu distinct stacks)\n", n, stacks.size());
  std::printf("decode alone:     %.3f s  %.0f ns/record\n", t_decode, t_decode / n * 1e9);
  std::printf("decode + write:   %.3f s  %.0f ns/record\n", t_all, t_all / n * 1e9);
  std::printf("trace bytes/event: %.2f\n", bytes_per_event);
  std::printf("record_ns_per_event=%.0f\n", t_all / n * 1e9);
  return 0;
}
