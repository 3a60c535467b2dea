// SPDX-License-Identifier: GPL-2.0-only
//
// Analyzer throughput and memory.
//
//   analyzer_bench [--events N] [--seed S]   synthetic stream (default 20M events)
//   analyzer_bench --file TRACE              a trace file
//
// For the synthetic stream the generator's own cost is measured in a first pass and subtracted,
// so "analyzer" is the checker alone; "end to end" includes generation (or file decoding).
// Peak RSS is the process's (getrusage), i.e. generator + analyzer.
#include <sys/resource.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "analyzer/analyzer.h"
#include "synth/synth.h"
#include "trace/trace_file.h"

using namespace modrace;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of this thread: on a shared machine wall time measures the neighbours too.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

void print_report(const Report& r) {
  std::printf("findings: %zu, sites: %zu, outstanding: %zu, unloads: %llu\n", r.findings.size(),
              r.sites.size(), r.outstanding.size(), (unsigned long long)r.unloads_seen);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t events = 20'000'000, seed = 1;
  std::string file;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--events" && i + 1 < argc)
      events = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--seed" && i + 1 < argc)
      seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--file" && i + 1 < argc)
      file = argv[++i];
    else {
      std::fprintf(stderr, "usage: analyzer_bench [--events N] [--seed S] [--file TRACE]\n");
      return 2;
    }
  }

  if (!file.empty()) {
    auto t0 = std::chrono::steady_clock::now();
    auto src = open_trace(file);
    Report r = analyze(*src);
    double t = seconds_since(t0);
    std::printf("file %s: %llu events in %.3f s: %.2f M events/s end to end (decode + analyze)\n",
                file.c_str(), (unsigned long long)r.events, t, r.events / t / 1e6);
    print_report(r);
    std::printf("peak RSS: %.1f MiB\n", peak_rss_kib() / 1024.0);
    return 0;
  }

  SynthOptions so;
  so.events = events;
  so.seed = seed;
  // Pass 1: the generator alone.
  auto t0 = std::chrono::steady_clock::now();
  double c0 = cpu_seconds();
  {
    SynthSource src(so);
    Event ev;
    uint64_t n = 0;
    while (src.next(ev)) n += ev.tid & 1;  // keep the loop from being optimised away
    if (n == 42) std::puts("");
  }
  double t_gen = seconds_since(t0);
  double c_gen = cpu_seconds() - c0;
  long rss_gen = peak_rss_kib();
  // Pass 2: generator + analyzer.
  t0 = std::chrono::steady_clock::now();
  c0 = cpu_seconds();
  SynthSource src(so);
  Analyzer a;
  Event ev;
  while (src.next(ev)) a.consume(ev, src);
  double t_consume = seconds_since(t0);
  double c_consume = cpu_seconds() - c0;
  Report r = a.finish(src);
  double t_all = seconds_since(t0);
  double t_an = t_consume - t_gen;
  std::printf("synthetic: %llu events (seed %llu)\n", (unsigned long long)events,
              (unsigned long long)seed);
  std::printf("  generator alone:  %.3f s  (%.2f M events/s)\n", t_gen, events / t_gen / 1e6);
  std::printf("  end to end:       %.3f s  (%.2f M events/s, finish %.3f s)\n", t_all,
              events / t_all / 1e6, t_all - t_consume);
  std::printf("  analyzer alone:   %.3f s  (%.2f M events/s)\n", t_an, events / t_an / 1e6);
  double c_an = c_consume - c_gen;
  std::printf(
      "  analyzer alone, CPU time: %.3f s  (%.2f M events/s on one core; generator %.2f M/s)\n",
      c_an, events / c_an / 1e6, events / c_gen / 1e6);
  print_report(r);
  std::printf("peak RSS: %.1f MiB (generator alone: %.1f MiB)\n", peak_rss_kib() / 1024.0,
              rss_gen / 1024.0);
  return 0;
}
