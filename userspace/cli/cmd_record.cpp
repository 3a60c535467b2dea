// SPDX-License-Identifier: GPL-2.0-only
// `modrace record`: live events into a trace file, until COMMAND exits, --duration ends, or
// SIGINT/SIGTERM. The file is readable after any of them, and after a crash up to the last
// flush (once a second).
#include <fcntl.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "events/error.h"
#include "loader/kallsyms.h"
#include "loader/tracer.h"
#include "trace/trace_file.h"
#include "version.h"

namespace modrace::cli {

namespace {

volatile sig_atomic_t g_stop_signal = 0;
void on_stop(int sig) { g_stop_signal = sig; }
void on_child(int) {}  // only to interrupt the ring-buffer wait

uint64_t now_ns(clockid_t clk) {
  timespec ts{};
  clock_gettime(clk, &ts);
  return uint64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

uint64_t parse_size(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  uint64_t v = std::strtoull(s.c_str(), &end, 10);
  if (errno || end == s.c_str()) throw Error("--ringbuf-size: not a size: '" + s + "'");
  std::string suffix(end);
  if (suffix == "K" || suffix == "k" || suffix == "KiB") v <<= 10;
  else if (suffix == "M" || suffix == "m" || suffix == "MiB") v <<= 20;
  else if (suffix == "G" || suffix == "g" || suffix == "GiB") v <<= 30;
  else if (!suffix.empty()) throw Error("--ringbuf-size: unknown suffix in '" + s + "'");
  return v;
}

// Information-losing drops by cause; informational causes follow in parentheses.
std::string drops_text(const DropCounters& d) {
  if (d.total() == 0 && d.informational() == 0) return "0";
  std::string out = d.total() == 0 ? "0" : "";
  for (int i = 0; i < kDropCauseMax; i++)
    if (d.by_cause[i] && !DropCounters::is_informational(static_cast<DropCause>(i)))
      out += fmt::format("{}{}={}", out.empty() ? "" : " ", to_string(static_cast<DropCause>(i)),
                         d.by_cause[i]);
  for (int i = 0; i < kDropCauseMax; i++)
    if (d.by_cause[i] && DropCounters::is_informational(static_cast<DropCause>(i)))
      out += fmt::format(" ({}={}, not a loss)", to_string(static_cast<DropCause>(i)),
                         d.by_cause[i]);
  return out;
}

struct RecordOpts {
  std::string output = "modrace.trace";
  double duration = 0;
  std::string locks = "auto";
  std::vector<std::string> modules;
  std::string ringbuf_size = "32M";
  std::string ready_file;
  bool kprobe_only = false;
  bool verbose = false;
  std::vector<std::string> command;
};

pid_t spawn(const std::vector<std::string>& cmd) {
  pid_t pid = fork();
  if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    std::vector<char*> argv;
    for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "modrace: %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}

int run_record(const RecordOpts& o) {
  loader::set_verbose(o.verbose);
  loader::TracerOptions to;
  to.locks = loader::lock_mode_from_string(o.locks);
  to.modules = o.modules;
  to.ringbuf_size = parse_size(o.ringbuf_size);
  to.prefer_kprobe = o.kprobe_only;

  struct sigaction sa {};
  sa.sa_handler = on_stop;  // no SA_RESTART: the ring-buffer wait returns at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, nullptr);

  auto tracer = loader::Tracer::open(to);

  TraceMeta meta;
  utsname u{};
  uname(&u);
  meta.kernel_release = u.release;
  meta.hostname = u.nodename;
  meta.modrace_version = MODRACE_VERSION;
  meta.lock_provider = tracer->lock_provider();
  meta.features = tracer->features();
  meta.start_ts_ns = now_ns(CLOCK_MONOTONIC);
  meta.start_realtime_ns = now_ns(CLOCK_REALTIME);
  auto writer = TraceWriter::create(o.output, meta);
  // Module symbols walked by the kernel at module_load reach the file before the events that
  // follow them, so even a module gone a moment later is named.
  tracer->set_symbol_sink([&](std::span<const KernelSymbol> syms) { writer->add_symbols(syms); });

  writer->add_symbols(tracer->kallsyms().symbols());
  for (auto& m : loader::preexisting_modules(tracer->kallsyms())) {
    if (m.core_text_start) writer->add_module_range(m.name, m.core_text_start, m.core_text_size);
    Event ev;
    ev.kind = EventKind::module_load;
    ev.ts_ns = meta.start_ts_ns;
    ev.pid = ev.tid = static_cast<uint32_t>(getpid());
    ev.set_comm("modrace");
    ev.data = std::move(m);
    writer->write(ev, tracer->stacks());
  }
  writer->flush();

  int attached = 0;
  for (const auto& s : tracer->probes()) attached += s.attached;
  fmt::print(stderr, "modrace: recording ({} attach points, locks={}) to {}\n", attached,
             to_string(tracer->lock_provider()), o.output);
  std::fflush(stderr);
  if (!o.ready_file.empty()) {
    int fd = ::open(o.ready_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(o.ready_file + ": " + std::strerror(errno));
    ::close(fd);
  }

  pid_t child = o.command.empty() ? -1 : spawn(o.command);
  int child_status = 0;
  bool child_done = false;
  const bool tty = isatty(STDERR_FILENO);
  const uint64_t start = now_ns(CLOCK_MONOTONIC);
  uint64_t last_flush = start, last_status_events = 0;
  std::vector<ModuleLoad> new_modules;

  auto handle = [&](Event& ev) {
    writer->write(ev, tracer->stacks());
    if (auto* m = std::get_if<ModuleLoad>(&ev.data)) new_modules.push_back(*m);
  };
  // Module text ranges as each load is seen; symbols from /proc/kallsyms only when the kernel
  // cannot walk them itself (they vanish at unload, often before this read under slow kernels).
  const bool kallsyms_fallback = !tracer->module_symbols_from_bpf();
  auto capture_modules = [&] {
    for (const auto& m : new_modules) {
      if (kallsyms_fallback) {
        auto syms = loader::Kallsyms::read_module(m.name);
        if (!syms.empty()) writer->add_symbols(syms);
      }
      if (m.core_text_start) writer->add_module_range(m.name, m.core_text_start, m.core_text_size);
      if (m.init_text_start && m.init_text_size)
        writer->add_module_range(m.name, m.init_text_start, m.init_text_size);
    }
    new_modules.clear();
  };

  for (;;) {
    tracer->poll(200, handle);
    capture_modules();
    if (child > 0 && !child_done) {
      int st = 0;
      if (waitpid(child, &st, WNOHANG) == child) {
        child_done = true;
        child_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
    }
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    bool timed_out = o.duration > 0 && double(now - start) / 1e9 >= o.duration;
    if (child_done || timed_out || g_stop_signal) break;
    if (now - last_flush >= 1000000000ull) {
      auto d = tracer->drops();
      writer->set_drops(d);
      writer->flush();
      if (tty) {
        uint64_t n = writer->events_written();
        double rate = double(n - last_status_events) * 1e9 / double(now - last_flush);
        fmt::print(stderr, "\rmodrace: {} events, {:.0f}/s, drops {}   ", n, rate, drops_text(d));
        last_status_events = n;
      }
      last_flush = now;
    }
  }

  // Drain: what the kernel produced up to now, then the final counters.
  tracer->poll(50, handle);
  while (tracer->poll(0, handle) > 0) {
  }
  capture_modules();
  auto drops = tracer->drops();
  writer->set_drops(drops);
  writer->close();
  if (tty) fmt::print(stderr, "\n");
  fmt::print(stderr, "modrace: {} events, drops {}, {} bytes written to {}\n",
             writer->events_written(), drops_text(drops), writer->bytes_written(), o.output);
  fmt::print(stderr, "modrace: module symbols: {}\n",
             kallsyms_fallback ? std::string("read from /proc/kallsyms after each load")
                               : fmt::format("{} walked in the kernel at module_load",
                                             tracer->module_symbols_seen()));
  if (o.verbose)
    for (const auto& [prog, n] : tracer->recursion_misses())
      fmt::print(stderr, "modrace: {}: {} recursion misses\n", prog, n);
  if (tracer->malformed_records())
    fmt::print(stderr, "modrace: BUG: {} malformed ring-buffer records skipped\n",
               tracer->malformed_records());

  if (child > 0 && !child_done) {
    // Stopped by a signal or --duration: pass it on and reap the command.
    kill(child, g_stop_signal ? int(g_stop_signal) : SIGTERM);
    int st = 0;
    if (waitpid(child, &st, 0) == child)
      child_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  return child > 0 ? child_status : kExitOk;
}

}  // namespace

void add_record_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "record", "Record module lifecycle, refcount and lock events of the running kernel");
  auto o = std::make_shared<RecordOpts>();
  sub->add_option("-o,--output", o->output, "Trace file")->capture_default_str();
  sub->add_option("--duration", o->duration, "Stop after S seconds");
  sub->add_option("--locks", o->locks, "Held-lock provider: auto, lockdep, probe, off")
      ->capture_default_str();
  sub->add_option("--module", o->modules, "Only refcount events of this module (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("--ringbuf-size", o->ringbuf_size, "Ring buffer size (power of two; K/M/G)")
      ->capture_default_str();
  sub->add_option("--ready-file", o->ready_file, "Create this file once the probes are attached");
  sub->add_flag("--kprobe-only", o->kprobe_only, "Do not use fentry anywhere");
  sub->add_flag("-v,--verbose", o->verbose, "Show libbpf's log and attach decisions");
  sub->add_option("command", o->command, "Command to run while recording (after --); its exit "
                                         "status becomes modrace's");
  sub->footer("Exit status: COMMAND's when one was given, else 0; 2 when recording cannot start.");
  sub->callback([o] { set_exit_status(run_record(*o)); });
}

}  // namespace modrace::cli
