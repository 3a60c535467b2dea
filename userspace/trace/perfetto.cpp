// SPDX-License-Identifier: GPL-2.0-only
#include "trace/perfetto.h"

#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "trace/event_format.h"
#include "trace/module_tracker.h"
#include "trace/symbolize.h"

namespace modrace {

namespace {

using nlohmann::json;

// Synthetic process for the tracks that belong to no task. Kernel pids are < 2^22, so this
// cannot collide with a traced process.
constexpr uint32_t kModracePid = 0x7fffff00;
constexpr uint32_t kFindingsTid = 1;

class Exporter {
 public:
  Exporter(std::ostream& out) : out_(out) {}

  void emit(const json& j) {
    out_ << (count_ == 0 ? "\n" : ",\n") << j.dump(-1, ' ', false, json::error_handler_t::replace);
    count_++;
  }
  uint64_t count() const { return count_; }

 private:
  std::ostream& out_;
  uint64_t count_ = 0;
};

double to_us(uint64_t ts_ns) { return static_cast<double>(ts_ns) / 1000.0; }

struct TaskState {
  uint32_t pid = 0;
  std::set<uint64_t> held;  // lock addresses in the last snapshot
};

}  // namespace

uint64_t export_perfetto(EventSource& src, std::ostream& out, const PerfettoOptions& opts) {
  Exporter ex(out);
  ModuleTracker modules;
  FrameFormatter frames(opts.ko_files);
  EventFormatContext ctx{modules, frames, src.symbols().now()};
  std::unordered_map<uint32_t, TaskState> tasks;  // by tid
  std::set<uint32_t> named_pids, named_tids;
  uint64_t last_ts = 0;

  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
  ex.emit({{"ph", "M"},
           {"name", "process_name"},
           {"pid", kModracePid},
           {"args", {{"name", "modrace"}}}});
  ex.emit({{"ph", "M"},
           {"name", "thread_name"},
           {"pid", kModracePid},
           {"tid", kFindingsTid},
           {"args", {{"name", "findings"}}}});

  auto lock_span = [&](const Event& ev, uint64_t addr, bool begin) {
    ex.emit({{"ph", begin ? "b" : "e"},
             {"cat", "lock"},
             {"name", ctx.symbols.lock_name(addr)},
             {"id2", {{"local", fmt::format("0x{:x}", addr)}}},
             {"pid", ev.pid},
             {"tid", ev.tid},
             {"ts", to_us(ev.ts_ns)}});
  };

  Event ev;
  while (src.next(ev)) {
    modules.observe(ev);
    ctx.symbols = src.symbols().at(src.event_epoch());
    last_ts = std::max(last_ts, ev.ts_ns);
    if (named_pids.insert(ev.pid).second)
      ex.emit({{"ph", "M"},
               {"name", "process_name"},
               {"pid", ev.pid},
               {"args", {{"name", fmt::format("{} ({})", ev.comm_view(), ev.pid)}}}});
    if (named_tids.insert(ev.tid).second)
      ex.emit({{"ph", "M"},
               {"name", "thread_name"},
               {"pid", ev.pid},
               {"tid", ev.tid},
               {"args", {{"name", fmt::format("{} ({})", ev.comm_view(), ev.tid)}}}});

    // Lock spans: a lock present in this snapshot but not the task's previous one was taken in
    // between; one gone was released. Only snapshots show locks, so this is best effort.
    if (const LockContext* lc = ev.locks(); lc && !lc->in_interrupt) {
      auto& ts = tasks[ev.tid];
      ts.pid = ev.pid;
      std::set<uint64_t> now;
      for (const auto& l : lc->held()) now.insert(l.addr);
      for (uint64_t a : ts.held)
        if (!now.count(a)) lock_span(ev, a, false);
      for (uint64_t a : now)
        if (!ts.held.count(a)) lock_span(ev, a, true);
      ts.held = std::move(now);
    }

    JsonObject fields;
    add_event_json(ev, ctx, fields);
    json args = json::parse(fields.text());
    std::string name(to_string(ev.kind));
    if (const auto* r = std::get_if<RefcountOp>(&ev.data)) {
      auto mod = modules.name_of(r->module);
      std::string mname = mod.empty() ? fmt::format("0x{:x}", r->module) : std::string(mod);
      name += " " + mname;
      if (r->refcount >= 0)
        ex.emit({{"ph", "C"},
                 {"name", "refcnt " + mname},
                 {"pid", kModracePid},
                 {"ts", to_us(ev.ts_ns)},
                 {"args", {{"refcnt", r->refcount}}}});
    } else if (const auto* l = std::get_if<ModuleLoad>(&ev.data)) {
      name += " " + l->name;
    } else if (const auto* d = std::get_if<DeleteModule>(&ev.data)) {
      name += " " + d->name;
    } else if (const auto* dr = std::get_if<DriverOp>(&ev.data)) {
      name += " " + dr->name;
    }
    ex.emit({{"ph", "i"},
             {"s", "t"},
             {"name", name},
             {"cat", to_string(ev.kind)},
             {"pid", ev.pid},
             {"tid", ev.tid},
             {"ts", to_us(ev.ts_ns)},
             {"args", std::move(args)}});
  }

  // Close spans still open at the end so the UI draws them.
  for (auto& [tid, ts] : tasks)
    for (uint64_t a : ts.held)
      ex.emit({{"ph", "e"},
               {"cat", "lock"},
               {"name", src.symbols().now().lock_name(a)},
               {"id2", {{"local", fmt::format("0x{:x}", a)}}},
               {"pid", ts.pid},
               {"tid", tid},
               {"ts", to_us(last_ts)}});

  for (const auto& f : opts.findings) {
    json args = json::object();
    for (const auto& [k, v] : f.args) args[k] = v;
    ex.emit({{"ph", "i"},
             {"s", "g"},
             {"name", f.title},
             {"cat", "finding"},
             {"pid", kModracePid},
             {"tid", kFindingsTid},
             {"ts", to_us(f.ts_ns)},
             {"args", std::move(args)}});
  }
  out << "\n]}\n";
  return ex.count();
}

}  // namespace modrace
