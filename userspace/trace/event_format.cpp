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
void addr(JsonObject& o, std::string_view key, uint64_t v) {
  char buf[24];
  auto end = fmt::format_to(buf, "0x{:x}", v);
  o.str(key, {buf, end});
}

std::string lock_context_json(const LockContext& lc, const EventFormatContext& ctx) {
  std::string held = "[";
  for (const auto& l : lc.held()) {
    JsonObject h;
    addr(h, "addr", l.addr);
    h.str("name", ctx.symbols.lock_name(l.addr, l.class_key));
    h.str("kind", to_string(l.kind));
    addr(h, "acquire_ip", l.acquire_ip);
    h.str("acquired_at", ctx.frame(l.acquire_ip));
    addr(h, "class_key", l.class_key);
    if (held.size() > 1) held += ',';
    held += h.text();
  }
  held += ']';
  JsonObject o;
  o.num("preempt_count", lc.preempt_count);
  o.num("rcu_depth", lc.rcu_depth);
  o.boolean("irqs_disabled", lc.irqs_disabled);
  o.boolean("in_interrupt", lc.in_interrupt);
  o.boolean("truncated", lc.truncated);
  o.str("provider", to_string(lc.provider));
  o.raw("held", held);
  return o.text();
}
}  // namespace

void add_event_json(const Event& ev, const EventFormatContext& ctx, JsonObject& j) {
  j.str("kind", to_string(ev.kind));
  j.num("ts_ns", ev.ts_ns);
  j.num("cpu", ev.cpu);
  j.num("pid", ev.pid);
  j.num("tid", ev.tid);
  j.str("comm", ev.comm_view());
  j.num("stack_id", ev.stack);
  // A module pointer, and its name when the module was seen loading.
  auto module_fields = [&](std::string_view key, std::string_view name_key, uint64_t module) {
    addr(j, key, module);
    auto name = ctx.modules.name_of(module);
    if (!name.empty()) j.str(name_key, name);
  };
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ModuleLoad>) {
          addr(j, "module", p.module);
          j.str("module_name", p.name);
          addr(j, "core_text_start", p.core_text_start);
          j.num("core_text_size", p.core_text_size);
          addr(j, "init_text_start", p.init_text_start);
          j.num("init_text_size", p.init_text_size);
          j.boolean("preexisting", p.preexisting);
        } else if constexpr (std::is_same_v<T, ModuleStateChange>) {
          module_fields("module", "module_name", p.module);
          j.str("state", to_string(p.state));
        } else if constexpr (std::is_same_v<T, ModuleFree>) {
          module_fields("module", "module_name", p.module);
        } else if constexpr (std::is_same_v<T, DeleteModule>) {
          j.str("phase", to_string(p.phase));
          j.str("name", p.name);
          j.num("flags", p.flags);
          j.num("ret", p.ret);
        } else if constexpr (std::is_same_v<T, RefcountOp>) {
          module_fields("module", "module_name", p.module);
          addr(j, "caller_ip", p.caller_ip);
          j.str("caller", ctx.frame(p.caller_ip));
          j.num("refcount", p.refcount);
          j.boolean("success", p.success);
          if (p.widen == WidenMark::held) j.num("widened_us", p.widen_us);
          if (p.widen == WidenMark::capped) j.boolean("widen_capped", true);
          j.raw("locks", lock_context_json(p.locks, ctx));
        } else if constexpr (std::is_same_v<T, DriverOp>) {
          j.str("phase", to_string(p.phase));
          addr(j, "driver", p.driver);
          module_fields("owner", "owner_name", p.owner);
          j.num("ret", p.ret);
          j.str("name", p.name);
          j.str("bus", p.bus);
          j.raw("locks", lock_context_json(p.locks, ctx));
        } else if constexpr (std::is_same_v<T, UnloadLock>) {
          addr(j, "lock", p.lock);
          j.str("lock_name", ctx.symbols.lock_name(p.lock, p.class_key));
          j.str("lock_kind", to_string(p.kind));
          addr(j, "ip", p.ip);
          if (p.ip) j.str("at", ctx.frame(p.ip));
          addr(j, "class_key", p.class_key);
        } else {
          addr(j, "ip", p.ip);
          j.str("at", ctx.frame(p.ip));
        }
      },
      ev.data);
}

}  // namespace modrace
