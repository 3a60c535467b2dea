// SPDX-License-Identifier: GPL-2.0-only
#include "events/event.h"

#include <algorithm>
#include <cstring>

namespace modrace {

namespace {
constexpr std::string_view kKindNames[kEventKindMax] = {
    "",
    "module_load",
    "module_state",
    "module_free",
    "delete_module",
    "try_module_get",
    "module_get",
    "module_put",
    "driver_register",
    "driver_unregister",
    "unload_lock",
    "unload_rcu_sync",
};
}  // namespace

std::string_view to_string(EventKind k) {
  auto i = static_cast<int>(k);
  return (i > 0 && i < kEventKindMax) ? kKindNames[i] : "unknown";
}

std::optional<EventKind> event_kind_from_string(std::string_view s) {
  for (int i = 1; i < kEventKindMax; i++)
    if (kKindNames[i] == s) return static_cast<EventKind>(i);
  return std::nullopt;
}

std::string_view to_string(Phase p) { return p == Phase::enter ? "enter" : "exit"; }

std::string_view to_string(ModuleState s) {
  switch (s) {
    case ModuleState::live:
      return "LIVE";
    case ModuleState::coming:
      return "COMING";
    case ModuleState::going:
      return "GOING";
    case ModuleState::unformed:
      return "UNFORMED";
  }
  return "unknown";
}

std::string_view to_string(LockKind k) {
  switch (k) {
    case LockKind::mutex:
      return "mutex";
    case LockKind::spinlock:
      return "spinlock";
    case LockKind::rwlock_read:
      return "rwlock-read";
    case LockKind::rwlock_write:
      return "rwlock-write";
    case LockKind::rwsem_read:
      return "rwsem-read";
    case LockKind::rwsem_write:
      return "rwsem-write";
    case LockKind::lockdep:
      return "lockdep";
    case LockKind::lockdep_read:
      return "lockdep-read";
    case LockKind::srcu_read:
      return "srcu-read";
    case LockKind::srcu_sync:
      return "srcu-sync";
  }
  return "unknown";
}

std::string_view to_string(LockProvider p) {
  switch (p) {
    case LockProvider::off:
      return "off";
    case LockProvider::probe:
      return "probe";
    case LockProvider::lockdep:
      return "lockdep";
  }
  return "unknown";
}

std::optional<LockProvider> lock_provider_from_string(std::string_view s) {
  if (s == "off") return LockProvider::off;
  if (s == "probe") return LockProvider::probe;
  if (s == "lockdep") return LockProvider::lockdep;
  return std::nullopt;
}

std::string_view to_string(DropCause c) {
  switch (c) {
    case DropCause::ringbuf_full:
      return "ringbuf_full";
    case DropCause::stack:
      return "stack";
    case DropCause::lock_table:
      return "lock_table";
    case DropCause::task_storage:
      return "task_storage";
    case DropCause::lock_recursion:
      return "lock_recursion";
    case DropCause::lock_recursion_irq:
      return "lock_recursion_irq";
    case DropCause::task_storage_marked:
      return "task_storage_marked";
  }
  return "unknown";
}

std::string_view Event::comm_view() const {
  auto end = std::find(comm.begin(), comm.end(), '\0');
  return {comm.data(), static_cast<size_t>(end - comm.begin())};
}

void Event::set_comm(std::string_view s) {
  comm.fill('\0');
  std::memcpy(comm.data(), s.data(), std::min(s.size(), comm.size() - 1));
}

const LockContext* Event::locks() const {
  if (auto* r = std::get_if<RefcountOp>(&data)) return &r->locks;
  if (auto* d = std::get_if<DriverOp>(&data)) return &d->locks;
  return nullptr;
}

bool payload_matches_kind(const Event& ev) {
  switch (ev.kind) {
    case EventKind::module_load:
      return std::holds_alternative<ModuleLoad>(ev.data);
    case EventKind::module_state:
      return std::holds_alternative<ModuleStateChange>(ev.data);
    case EventKind::module_free:
      return std::holds_alternative<ModuleFree>(ev.data);
    case EventKind::delete_module:
      return std::holds_alternative<DeleteModule>(ev.data);
    case EventKind::try_module_get:
    case EventKind::module_get:
    case EventKind::module_put:
      return std::holds_alternative<RefcountOp>(ev.data);
    case EventKind::driver_register:
    case EventKind::driver_unregister:
      return std::holds_alternative<DriverOp>(ev.data);
    case EventKind::unload_lock:
      return std::holds_alternative<UnloadLock>(ev.data);
    case EventKind::unload_rcu_sync:
      return std::holds_alternative<UnloadRcuSync>(ev.data);
  }
  return false;
}

}  // namespace modrace
