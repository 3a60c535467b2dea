// SPDX-License-Identifier: GPL-2.0-only
//
// The event model shared by every part of modrace: the live tracer converts ring-buffer records
// (bpf/modrace_abi.h) into these, the trace file stores them, the analyzer consumes them, the
// synthetic generator produces them. Names of kinds (to_string) are the ones users see in
// `modrace dump`, JSON and reports.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace modrace {

inline constexpr int kMaxHeldLocks = 8;    // == MR_MAX_HELD_LOCKS
inline constexpr int kMaxStackDepth = 24;  // == MR_MAX_STACK_DEPTH
inline constexpr int kCommLen = 16;

enum class EventKind : uint8_t {
  module_load = 1,
  module_state = 2,
  module_free = 3,
  delete_module = 4,
  try_module_get = 5,
  module_get = 6,
  module_put = 7,
  driver_register = 8,
  driver_unregister = 9,
  unload_lock = 10,
  unload_rcu_sync = 11,
};
inline constexpr int kEventKindMax = 12;

enum class Phase : uint8_t { enter = 0, exit = 1 };

// Same values as the kernel's enum module_state.
enum class ModuleState : uint8_t { live = 0, coming = 1, going = 2, unformed = 3 };

enum class LockKind : uint8_t {
  mutex = 1,
  spinlock = 2,
  rwlock_read = 3,
  rwlock_write = 4,
  rwsem_read = 5,
  rwsem_write = 6,
  lockdep = 7,       // from lockdep's held_locks: the primitive is unknown, held exclusively
  lockdep_read = 8,  // the same, held for reading (read_lock, down_read, srcu_read_lock...)
  srcu_read = 9,     // an SRCU read side (probe provider), addr = the srcu_struct
  // Unload path only: a synchronize_srcu{,_expedited} on the srcu_struct at addr returned (on the
  // lockdep provider addr is its dep_map, as the held set names the read side).
  srcu_sync = 10,
};

enum class LockProvider : uint8_t { off = 0, probe = 1, lockdep = 2 };

enum class DropCause : uint8_t {
  ringbuf_full = 0,
  stack = 1,
  lock_table = 2,
  task_storage = 3,
  lock_recursion = 4,
  // Recursion misses the kernel's preemption model proves were interrupts nested in a lock probe
  // (lock tracking ignores interrupt context): counted, but no information was lost.
  lock_recursion_irq = 5,
  // The task whose lock state could not be created is marked: its later lock snapshots are
  // truncated (its gets unverified), so no other verdict depends on what was lost (trace 1.6).
  task_storage_marked = 6,
};
inline constexpr int kDropCauseMax = 7;

std::string_view to_string(EventKind k);
std::string_view to_string(Phase p);
std::string_view to_string(ModuleState s);
std::string_view to_string(LockKind k);
std::string_view to_string(LockProvider p);
std::string_view to_string(DropCause c);
std::optional<EventKind> event_kind_from_string(std::string_view s);
std::optional<LockProvider> lock_provider_from_string(std::string_view s);

// HeldLock::flags, the same bits as MR_HELD_* in bpf/modrace_abi.h.
inline constexpr uint8_t kHeldIrq = 1 << 0;  // taken by an _irq/_irqsave variant
inline constexpr uint8_t kHeldBh = 1 << 1;   // taken by a _bh variant
inline constexpr uint8_t kHeldRt = 1 << 2;   // PREEMPT_RT sleeping spinlock_t/rwlock_t
inline constexpr uint8_t kHeldFlagsKnown = kHeldIrq | kHeldBh | kHeldRt;

struct HeldLock {
  uint64_t addr = 0;
  uint64_t acquire_ip = 0;
  LockKind kind = LockKind::mutex;
  uint64_t class_key = 0;  // lockdep class key; 0 when not from lockdep
  uint8_t flags = 0;       // kHeld* (probe provider; traces before format 1.2 carry none)
  // A PREEMPT_RT spinlock_t/rwlock_t: rt_spin_lock, rt_read_lock and rt_write_lock take
  // rcu_read_lock() (kernel/locking/spinlock_rt.c, rwlock_rt.c), so each held one adds one to
  // the task's RCU nesting, where a non-RT spin_lock disables preemption instead.
  bool rt_implicit_rcu() const {
    return (flags & kHeldRt) && (kind == LockKind::spinlock || kind == LockKind::rwlock_read ||
                                 kind == LockKind::rwlock_write);
  }
  friend bool operator==(const HeldLock&, const HeldLock&) = default;
};

// The lock context of the task at a refcount or driver event.
struct LockContext {
  uint32_t preempt_count = 0;  // of the traced code, BPF's own share removed
  uint16_t rcu_depth = 0;
  bool irqs_disabled = false;
  bool in_interrupt = false;
  bool truncated = false;  // more locks were held than recorded
  LockProvider provider = LockProvider::off;
  uint8_t nr_locks = 0;
  std::array<HeldLock, kMaxHeldLocks> locks{};

  std::span<const HeldLock> held() const { return {locks.data(), nr_locks}; }
  LockContext() = default;
  LockContext(const LockContext&) = default;
  // Copies `o`'s held locks only (the slots past nr_locks mean nothing, as operator== says):
  // events are copied record after record (readers, queues), nearly all with few locks held.
  // Every field above `locks` is copied: a new field goes here too.
  LockContext& operator=(const LockContext& o) {
    preempt_count = o.preempt_count;
    rcu_depth = o.rcu_depth;
    irqs_disabled = o.irqs_disabled;
    in_interrupt = o.in_interrupt;
    truncated = o.truncated;
    provider = o.provider;
    nr_locks = o.nr_locks;
    std::copy_n(o.locks.begin(), o.nr_locks, locks.begin());
    return *this;
  }
  void push(const HeldLock& l) {
    if (nr_locks < kMaxHeldLocks)
      locks[nr_locks++] = l;
    else
      truncated = true;
  }
  // True when the traced code could not have been preempted into a grace period:
  // RCU read side, preemption or interrupts disabled (spinlocks count here).
  bool blocks_grace_period() const { return rcu_depth > 0 || preempt_count > 0 || irqs_disabled; }
  // The RCU read-side nesting the traced code took itself (rcu_read_lock()): rcu_depth less
  // the implicit one of each PREEMPT_RT spinlock_t/rwlock_t held. A truncated snapshot from a
  // PREEMPT_RT kernel (a captured lock says so) may hide more of those: then 0, not a guess.
  uint16_t explicit_rcu_depth() const {
    int implicit = 0;
    for (const auto& l : held()) implicit += l.rt_implicit_rcu() ? 1 : 0;
    if (truncated && implicit) return 0;
    return rcu_depth > implicit ? static_cast<uint16_t>(rcu_depth - implicit) : 0;
  }
  // Grace periods are blocked, but only by disabled preemption or interrupts, or by the
  // implicit RCU read side of PREEMPT_RT spinlocks: module memory stays, nothing else does.
  bool preemption_only() const { return blocks_grace_period() && explicit_rcu_depth() == 0; }
  friend bool operator==(const LockContext& a, const LockContext& b) {
    if (a.preempt_count != b.preempt_count || a.rcu_depth != b.rcu_depth ||
        a.irqs_disabled != b.irqs_disabled || a.in_interrupt != b.in_interrupt ||
        a.truncated != b.truncated || a.provider != b.provider || a.nr_locks != b.nr_locks)
      return false;
    for (int i = 0; i < a.nr_locks; i++)
      if (!(a.locks[i] == b.locks[i])) return false;
    return true;
  }
};

// ---- payloads, one per kind (refcount and driver kinds share one) ----

struct ModuleLoad {     // module_load
  uint64_t module = 0;  // struct module *
  std::string name;
  uint64_t core_text_start = 0, core_text_size = 0;
  uint64_t init_text_start = 0, init_text_size = 0;
  bool preexisting = false;  // already loaded when recording started (synthesised by the loader)
  friend bool operator==(const ModuleLoad&, const ModuleLoad&) = default;
};

struct ModuleStateChange {  // module_state
  uint64_t module = 0;
  ModuleState state = ModuleState::live;
  friend bool operator==(const ModuleStateChange&, const ModuleStateChange&) = default;
};

struct ModuleFree {  // module_free
  uint64_t module = 0;
  friend bool operator==(const ModuleFree&, const ModuleFree&) = default;
};

struct DeleteModule {  // delete_module (syscall enter / exit)
  Phase phase = Phase::enter;
  std::string name;    // enter (the exit record repeats it when known)
  uint32_t flags = 0;  // O_NONBLOCK / O_TRUNC (forced)
  int64_t ret = 0;     // exit only
  friend bool operator==(const DeleteModule&, const DeleteModule&) = default;
};

// What --widen did to a get (docs/protocol.md, "Confirming a finding").
enum class WidenMark : uint8_t {
  none = 0,
  held = 1,    // at a widened site: the task was held widen_us before the get
  capped = 2,  // at a widened site, but the per-second budget was spent: not held
};

struct RefcountOp {  // try_module_get, module_get, module_put
  uint64_t module = 0;
  uint64_t caller_ip = 0;
  // module->refcnt after the operation, raw: 1 (MODULE_REF_BASE) = no users, as lsmod's 0;
  // 0 = claimed by try_stop_module; -1 unknown.
  int32_t refcount = -1;
  bool success = true;  // try_module_get's result
  LockContext locks;
  WidenMark widen = WidenMark::none;  // gets only
  uint16_t widen_us = 0;              // held: for how long
  friend bool operator==(const RefcountOp&, const RefcountOp&) = default;
};

struct DriverOp {  // driver_register, driver_unregister
  Phase phase = Phase::enter;
  uint64_t driver = 0;
  uint64_t owner = 0;  // struct module *, 0 built-in
  int32_t ret = 0;
  std::string name;
  std::string bus;
  LockContext locks;
  friend bool operator==(const DriverOp&, const DriverOp&) = default;
};

struct UnloadLock {  // unload_lock: a lock taken by a task inside delete_module
  uint64_t lock = 0;
  uint64_t ip = 0;
  LockKind kind = LockKind::mutex;
  uint64_t class_key = 0;
  friend bool operator==(const UnloadLock&, const UnloadLock&) = default;
};

struct UnloadRcuSync {  // unload_rcu_sync: a grace-period wait inside delete_module
  uint64_t ip = 0;
  friend bool operator==(const UnloadRcuSync&, const UnloadRcuSync&) = default;
};

using StackId = uint32_t;  // index into a StackTable; 0 = no stack captured
using Comm = std::array<char, kCommLen>;

struct Event {
  EventKind kind = EventKind::module_free;
  uint64_t ts_ns = 0;
  uint32_t cpu = 0;
  uint32_t pid = 0;  // tgid
  uint32_t tid = 0;
  Comm comm{};
  StackId stack = 0;
  std::variant<ModuleLoad, ModuleStateChange, ModuleFree, DeleteModule, RefcountOp, DriverOp,
               UnloadLock, UnloadRcuSync>
      data;

  std::string_view comm_view() const;
  void set_comm(std::string_view s);

  // Accessors for the payload the kind implies; they assert (std::get) on mismatch.
  const RefcountOp& refcount() const { return std::get<RefcountOp>(data); }
  const DriverOp& driver() const { return std::get<DriverOp>(data); }
  // The lock context carried by refcount and driver events, nullptr for the others.
  const LockContext* locks() const;
  friend bool operator==(const Event&, const Event&) = default;
};

// True when `data` holds the payload type `kind` implies (used by readers to validate input).
bool payload_matches_kind(const Event& ev);

}  // namespace modrace
