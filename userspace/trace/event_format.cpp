// SPDX-License-Identifier: GPL-2.0-only
#include "trace/event_format.h"

#include <fmt/format.h>

#include "events/printable.h"

namespace modrace {

namespace {
std::string hex(uint64_t v) { return fmt::format("0x{:x}", v); }
}  // namespace

std::string format_module(uint64_t module, const ModuleTracker& modules) {
  if (module == 0) return "(none)";
  auto name = modules.name_of(module);
  if (name.empty()) return hex(module);
  return fmt::format("{}({})", name, hex(module));
}

std::string format_lock_context(const LockContext& lc, const EventFormatContext& ctx) {
  std::string s = "locks=[";
  bool first = true;
  for (const auto& l : lc.held()) {
    if (!first) s += ", ";
    first = false;
    s += fmt::format("{}:{}", ctx.symbols.lock_name(l.addr, l.class_key), to_string(l.kind));
    // How it was taken: a PREEMPT_RT sleeping lock (an implicit RCU read side), _irq, _bh.
    if (l.flags & kHeldRt) s += "/rt";
    if (l.flags & kHeldIrq) s += "/irq";
    if (l.flags & kHeldBh) s += "/bh";
    // fentry-tracked locks carry no acquisition ip (0): print none rather than a bogus symbol.
    if (l.acquire_ip) s += "@" + ctx.frame(l.acquire_ip);
  }
  if (lc.truncated) s += first ? "..." : ", ...";
  s += fmt::format("] rcu={} preempt={} irqs={}", lc.rcu_depth, lc.preempt_count,
                   lc.irqs_disabled ? "off" : "on");
  if (lc.in_interrupt) s += " in_interrupt";
  if (lc.provider != LockProvider::probe) s += fmt::format(" provider={}", to_string(lc.provider));
  return s;
}

std::string format_payload(const Event& ev, const EventFormatContext& ctx) {
  return std::visit(
      [&](const auto& p) -> std::string {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ModuleLoad>) {
          return fmt::format("module={}({}) text={:#x}+{:#x} init={:#x}+{:#x}{}", p.name,
                             hex(p.module), p.core_text_start, p.core_text_size, p.init_text_start,
                             p.init_text_size, p.preexisting ? " preexisting" : "");
        } else if constexpr (std::is_same_v<T, ModuleStateChange>) {
          return fmt::format("module={} state={}", format_module(p.module, ctx.modules),
                             to_string(p.state));
        } else if constexpr (std::is_same_v<T, ModuleFree>) {
          return fmt::format("module={}", format_module(p.module, ctx.modules));
        } else if constexpr (std::is_same_v<T, DeleteModule>) {
          std::string s =
              fmt::format("{} name={} flags={:#x}", to_string(p.phase), p.name, p.flags);
          if (p.phase == Phase::exit) s += fmt::format(" ret={}", p.ret);
          return s;
        } else if constexpr (std::is_same_v<T, RefcountOp>) {
          std::string s =
              fmt::format("module={} refcnt={}", format_module(p.module, ctx.modules), p.refcount);
          if (ev.kind == EventKind::try_module_get) s += p.success ? " ok" : " FAILED";
          if (p.widen == WidenMark::held) s += fmt::format(" widened={}us", p.widen_us);
          if (p.widen == WidenMark::capped) s += " widen-capped";
          s += fmt::format(" caller={} {}", ctx.frame(p.caller_ip),
                           format_lock_context(p.locks, ctx));
          return s;
        } else if constexpr (std::is_same_v<T, DriverOp>) {
          // The driver object by name when symbols know it (e.g. serio_raw_drv+0x70), which also
          // shows that a short-lived module's symbols were captured.
          std::string s =
              fmt::format("{} driver={} bus={} drv={} owner={}", to_string(p.phase), p.name, p.bus,
                          ctx.symbols.lock_name(p.driver), format_module(p.owner, ctx.modules));
          if (p.phase == Phase::exit) s += fmt::format(" ret={}", p.ret);
          return s + " " + format_lock_context(p.locks, ctx);
        } else if constexpr (std::is_same_v<T, UnloadLock>) {
          // fentry-tracked locks carry no acquisition ip: the stack shows where instead.
          std::string s = fmt::format("lock={}:{}", ctx.symbols.lock_name(p.lock, p.class_key),
                                      to_string(p.kind));
          if (p.ip) s += " at=" + ctx.frame(p.ip);
          return s;
        } else {
          static_assert(std::is_same_v<T, UnloadRcuSync>);
          return fmt::format("at={}", ctx.frame(p.ip));
        }
      },
      ev.data);
}

std::string format_event_line(const Event& ev, const EventFormatContext& ctx) {
  // The line is all fields (the format adds no control character): names from the trace
  // (the process's own comm above all) are escaped once here, as a whole.
  return printable(fmt::format("{:>16} {:>7}/{:<7} [{:03}] {}.{:09}: {}: {}", ev.comm_view(),
                               ev.pid, ev.tid, ev.cpu, ev.ts_ns / 1000000000, ev.ts_ns % 1000000000,
                               to_string(ev.kind), format_payload(ev, ctx)));
}

namespace {
// Kernel addresses are hex strings in JSON: 64-bit numbers do not survive JavaScript consumers
// (perfetto, browsers) and hex is how they are read anyway.
std::string jaddr(uint64_t v) { return fmt::format("0x{:x}", v); }

nlohmann::json lock_context_json(const LockContext& lc, const EventFormatContext& ctx) {
  nlohmann::json locks = nlohmann::json::array();
  for (const auto& l : lc.held())
    locks.push_back({{"addr", jaddr(l.addr)},
                     {"name", ctx.symbols.lock_name(l.addr, l.class_key)},
                     {"kind", to_string(l.kind)},
                     {"acquire_ip", jaddr(l.acquire_ip)},
                     {"acquired_at", ctx.frame(l.acquire_ip)},
                     {"class_key", jaddr(l.class_key)}});
  return {{"preempt_count", lc.preempt_count}, {"rcu_depth", lc.rcu_depth},
          {"irqs_disabled", lc.irqs_disabled}, {"in_interrupt", lc.in_interrupt},
          {"truncated", lc.truncated},         {"provider", to_string(lc.provider)},
          {"held", std::move(locks)}};
}
}  // namespace

nlohmann::json event_to_json(const Event& ev, const EventFormatContext& ctx) {
  nlohmann::json j = {{"kind", to_string(ev.kind)},
                      {"ts_ns", ev.ts_ns},
                      {"cpu", ev.cpu},
                      {"pid", ev.pid},
                      {"tid", ev.tid},
                      {"comm", ev.comm_view()},
                      {"stack_id", ev.stack}};
  auto module_fields = [&](const char* key, uint64_t module) {
    j[key] = jaddr(module);
    auto name = ctx.modules.name_of(module);
    if (!name.empty()) j[std::string(key) + "_name"] = name;
  };
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ModuleLoad>) {
          j["module"] = jaddr(p.module);
          j["module_name"] = p.name;
          j["core_text_start"] = jaddr(p.core_text_start);
          j["core_text_size"] = p.core_text_size;
          j["init_text_start"] = jaddr(p.init_text_start);
          j["init_text_size"] = p.init_text_size;
          j["preexisting"] = p.preexisting;
        } else if constexpr (std::is_same_v<T, ModuleStateChange>) {
          module_fields("module", p.module);
          j["state"] = to_string(p.state);
        } else if constexpr (std::is_same_v<T, ModuleFree>) {
          module_fields("module", p.module);
        } else if constexpr (std::is_same_v<T, DeleteModule>) {
          j["phase"] = to_string(p.phase);
          j["name"] = p.name;
          j["flags"] = p.flags;
          j["ret"] = p.ret;
        } else if constexpr (std::is_same_v<T, RefcountOp>) {
          module_fields("module", p.module);
          j["caller_ip"] = jaddr(p.caller_ip);
          j["caller"] = ctx.frame(p.caller_ip);
          j["refcount"] = p.refcount;
          j["success"] = p.success;
          if (p.widen == WidenMark::held) j["widened_us"] = p.widen_us;
          if (p.widen == WidenMark::capped) j["widen_capped"] = true;
          j["locks"] = lock_context_json(p.locks, ctx);
        } else if constexpr (std::is_same_v<T, DriverOp>) {
          j["phase"] = to_string(p.phase);
          j["driver"] = jaddr(p.driver);
          module_fields("owner", p.owner);
          j["ret"] = p.ret;
          j["name"] = p.name;
          j["bus"] = p.bus;
          j["locks"] = lock_context_json(p.locks, ctx);
        } else if constexpr (std::is_same_v<T, UnloadLock>) {
          j["lock"] = jaddr(p.lock);
          j["lock_name"] = ctx.symbols.lock_name(p.lock, p.class_key);
          j["lock_kind"] = to_string(p.kind);
          j["ip"] = jaddr(p.ip);
          if (p.ip) j["at"] = ctx.frame(p.ip);
          j["class_key"] = jaddr(p.class_key);
        } else {
          j["ip"] = jaddr(p.ip);
          j["at"] = ctx.frame(p.ip);
        }
      },
      ev.data);
  return j;
}

}  // namespace modrace
