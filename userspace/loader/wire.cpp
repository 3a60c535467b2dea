// SPDX-License-Identifier: GPL-2.0-only
#include "loader/wire.h"

#include <linux/types.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

extern "C" {
#include "modrace_abi.h"
}

namespace modrace::loader {

// The C++ model mirrors the ABI's limits and enum values; a change on one side must be made on
// the other (and MR_ABI_VERSION bumped).
static_assert(MR_ABI_VERSION == 9);
static_assert(kMaxHeldLocks == MR_MAX_HELD_LOCKS);
static_assert(kHeldIrq == MR_HELD_IRQ && kHeldBh == MR_HELD_BH && kHeldRt == MR_HELD_RT);
static_assert(kMaxStackDepth == MR_MAX_STACK_DEPTH);
static_assert(kCommLen == MR_COMM_LEN);
static_assert(kEventKindMax == MR_EV_KIND_MAX);
static_assert(kDropCauseMax == MR_DROP_CAUSE_MAX);
static_assert(static_cast<int>(EventKind::unload_rcu_sync) == MR_EV_UNLOAD_RCU_SYNC);
static_assert(static_cast<int>(LockKind::lockdep) == MR_LOCK_LOCKDEP);
static_assert(static_cast<int>(LockKind::lockdep_read) == MR_LOCK_LOCKDEP_READ);
static_assert(static_cast<int>(LockKind::srcu_read) == MR_LOCK_SRCU_READ);
static_assert(static_cast<int>(LockKind::srcu_sync) == MR_LOCK_SRCU_SYNC);
static_assert(static_cast<int>(LockProvider::lockdep) == MR_LOCKS_LOCKDEP);
static_assert(static_cast<int>(DropCause::lock_recursion) == MR_DROP_LOCK_RECURSION);
static_assert(static_cast<int>(DropCause::lock_recursion_irq) == MR_DROP_LOCK_RECURSION_IRQ);
static_assert(static_cast<int>(DropCause::task_storage_marked) == MR_DROP_TASK_STORAGE_MARKED);
static_assert(MR_REC_MODULE_SYMBOL >= MR_EV_KIND_MAX);  // never mistaken for an event kind
static_assert(static_cast<int>(ModuleState::going) == MR_MODULE_GOING);
static_assert(sizeof(mr_event_header) == 48);
static_assert(sizeof(mr_held_lock) == 32);
static_assert(sizeof(mr_lock_ctx) == 16 + 8 * 32);
static_assert(offsetof(mr_lock_ctx, locks) == 16);
static_assert(offsetof(mr_ev_module_load, frames) == 48 + 40 + 56);
static_assert(offsetof(mr_ev_module_state, frames) == 48 + 16);
static_assert(offsetof(mr_ev_module_free, frames) == 48 + 8);
static_assert(offsetof(mr_ev_refcount, locks) == 72);
static_assert(offsetof(mr_ev_refcount, widen_us) == 70);
static_assert(offsetof(mr_ev_refcount, frames) == 72 + sizeof(mr_lock_ctx));
static_assert(sizeof(mr_ev_refcount) == 72 + sizeof(mr_lock_ctx) + 8 * MR_MAX_STACK_DEPTH);
static_assert(static_cast<int>(WidenMark::capped) == MR_WIDEN_CAPPED);
static_assert(MR_WIDEN_MAX_US <= UINT16_MAX);  // mr_ev_refcount.widen_us holds it
static_assert(offsetof(mr_ev_driver, frames) == 48 + 24 + 64 + sizeof(mr_lock_ctx));
static_assert(offsetof(mr_ev_delete_module, frames) == 48 + 16 + 56);
static_assert(offsetof(mr_ev_unload_lock, frames) == 48 + 32);
static_assert(offsetof(mr_ev_unload_rcu_sync, frames) == 48 + 8);
static_assert(sizeof(mr_rec_module_symbol) == 48 + 24 + MR_SYMBOL_NAME_LEN + 8);
static_assert(offsetof(mr_rec_module_symbol, size) == 48 + 24 + MR_SYMBOL_NAME_LEN);
static_assert(offsetof(mr_rec_module_symbol, addr) == 56);
static_assert(offsetof(mr_rec_module_symbol, type) == 64);
static_assert(offsetof(mr_rec_module_symbol, name) == 72);
static_assert(sizeof(mr_rec_lock_class) == 48 + 16 + MR_SYMBOL_NAME_LEN);
static_assert(offsetof(mr_rec_lock_class, name) == 64);

namespace {

std::string fixed_string(const char* s, size_t n) { return std::string(s, strnlen(s, n)); }

// Into `l` in place: every field is set, the held locks from slot 0 (slots past nr_locks mean
// nothing), so an event's payload can be reused record after record.
void decode_locks(const mr_lock_ctx& c, LockContext& l) {
  l.preempt_count = c.preempt_count;
  l.rcu_depth = c.rcu_depth;
  l.irqs_disabled = c.irqs_disabled;
  l.in_interrupt = c.in_interrupt;
  l.truncated = c.truncated;
  l.provider = static_cast<LockProvider>(c.provider <= MR_LOCKS_LOCKDEP ? c.provider : 0);
  l.nr_locks = 0;
  int n = std::min<int>(c.nr_locks, MR_MAX_HELD_LOCKS);
  for (int i = 0; i < n; i++) {
    const auto& h = c.locks[i];
    if (!h.addr) continue;  // a slot the tracer left empty (lockdep: an RCU read-side map)
    HeldLock hl;
    hl.addr = h.addr;
    hl.acquire_ip = h.acquire_ip;
    hl.kind = lock_kind_from_abi(h.kind);
    hl.class_key = h.class_key;
    hl.flags = static_cast<uint8_t>(h.flags & kHeldFlagsKnown);
    l.push(hl);
  }
}

}  // namespace

LockKind lock_kind_from_abi(uint32_t kind) {
  return (kind >= MR_LOCK_MUTEX && kind <= MR_LOCK_SRCU_SYNC) ? static_cast<LockKind>(kind)
                                                              : LockKind::mutex;
}

namespace {

template <typename T>
const T* as(const void* data, size_t size) {
  return size >= sizeof(T) ? static_cast<const T*>(data) : nullptr;
}

// A record with room for a stack, `body` being its bytes before the stack: nullptr when they
// do not cover T's fields.
template <typename T>
const T* before_frames(const void* data, size_t body) {
  return body >= offsetof(T, frames) ? static_cast<const T*>(data) : nullptr;
}

// A refcount record carries only its held locks (modrace_abi.h): their slots must be there.
const mr_ev_refcount* refcount_record(const void* data, size_t body) {
  constexpr size_t kFixed = offsetof(mr_ev_refcount, locks.locks);
  if (body < kFixed) return nullptr;
  const auto* r = static_cast<const mr_ev_refcount*>(data);
  size_t held = std::min<size_t>(r->locks.nr_locks, MR_MAX_HELD_LOCKS);
  return body >= kFixed + held * sizeof(mr_held_lock) ? r : nullptr;
}

}  // namespace

bool decode_record(const void* data, size_t size, StackTable& stacks, Event& ev,
                   const FrameFilter& own_frame) {
  const auto* h = as<mr_event_header>(data, size);
  if (!h || h->kind == 0 || h->kind >= MR_EV_KIND_MAX || h->size > size) return false;
  // The stack is the record's tail (modrace_abi.h); `body` is the rest. Records are whole
  // 8-byte words, as the ring aligns them.
  size_t nframes = h->nr_frames;
  if (h->size % 8 || nframes > MR_MAX_STACK_DEPTH ||
      h->size < sizeof(mr_event_header) + nframes * 8)
    return false;
  const size_t body = h->size - nframes * 8;
  const auto* frames = reinterpret_cast<const uint64_t*>(static_cast<const char*>(data) + body);
  // Every field of `ev` is set below: the payload is replaced, or for refcount records (nearly
  // all of them) filled in place, so no event is cleared and no string built per record.
  ev.kind = static_cast<EventKind>(h->kind);
  ev.ts_ns = h->ts_ns;
  ev.cpu = h->cpu;
  ev.pid = h->pid;
  ev.tid = h->tid;
  ev.set_comm(std::string_view(h->comm, strnlen(h->comm, MR_COMM_LEN)));
  // fentry/tp_btf stacks start inside the BPF program and its trampoline: skip up to the last
  // of our own frames so stacks begin in the traced code.
  if (own_frame) {
    size_t last_own = nframes;
    for (size_t i = 0; i < nframes && i < 8; i++)
      if (own_frame(frames[i])) last_own = i;
    if (last_own != nframes) {
      frames += last_own + 1;
      nframes -= last_own + 1;
    }
  }
  ev.stack = stacks.intern({frames, nframes});

  switch (h->kind) {
    case MR_EV_MODULE_LOAD: {
      auto* r = before_frames<mr_ev_module_load>(data, body);
      if (!r) return false;
      ModuleLoad m;
      m.module = r->module;
      m.name = fixed_string(r->name, MR_MODULE_NAME_LEN);
      m.core_text_start = r->core_text_start;
      m.core_text_size = r->core_text_size;
      m.init_text_start = r->init_text_start;
      m.init_text_size = r->init_text_size;
      ev.data = std::move(m);
      return true;
    }
    case MR_EV_MODULE_STATE: {
      auto* r = before_frames<mr_ev_module_state>(data, body);
      if (!r || r->state > MR_MODULE_UNFORMED) return false;
      ev.data = ModuleStateChange{r->module, static_cast<ModuleState>(r->state)};
      return true;
    }
    case MR_EV_MODULE_FREE: {
      auto* r = before_frames<mr_ev_module_free>(data, body);
      if (!r) return false;
      ev.data = ModuleFree{r->module};
      return true;
    }
    case MR_EV_DELETE_MODULE: {
      auto* r = before_frames<mr_ev_delete_module>(data, body);
      if (!r) return false;
      DeleteModule d;
      d.phase = r->phase == MR_PHASE_EXIT ? Phase::exit : Phase::enter;
      d.name = fixed_string(r->name, MR_MODULE_NAME_LEN);
      d.flags = r->flags;
      d.ret = r->ret;
      ev.data = std::move(d);
      return true;
    }
    case MR_EV_TRY_MODULE_GET:
    case MR_EV_MODULE_GET:
    case MR_EV_MODULE_PUT: {
      auto* r = refcount_record(data, body);
      if (!r) return false;
      auto* op = std::get_if<RefcountOp>(&ev.data);
      if (!op) op = &ev.data.emplace<RefcountOp>();
      op->module = r->module;
      op->caller_ip = r->caller_ip;
      op->refcount = r->refcount;
      op->success = r->success;
      decode_locks(r->locks, op->locks);
      bool widened = r->widen == MR_WIDEN_HELD || r->widen == MR_WIDEN_CAPPED;
      op->widen = widened ? static_cast<WidenMark>(r->widen) : WidenMark::none;
      op->widen_us = widened ? r->widen_us : 0;
      return true;
    }
    case MR_EV_DRIVER_REGISTER:
    case MR_EV_DRIVER_UNREGISTER: {
      auto* r = before_frames<mr_ev_driver>(data, body);
      if (!r) return false;
      DriverOp d;
      d.phase = r->phase == MR_PHASE_EXIT ? Phase::exit : Phase::enter;
      d.driver = r->driver;
      d.owner = r->owner;
      d.ret = r->ret;
      d.name = fixed_string(r->name, MR_DRIVER_NAME_LEN);
      d.bus = fixed_string(r->bus, MR_DRIVER_NAME_LEN);
      decode_locks(r->locks, d.locks);
      ev.data = std::move(d);
      return true;
    }
    case MR_EV_UNLOAD_LOCK: {
      auto* r = before_frames<mr_ev_unload_lock>(data, body);
      if (!r) return false;
      UnloadLock u;
      u.lock = r->lock;
      u.ip = r->ip;
      u.kind = lock_kind_from_abi(r->lock_kind);
      u.class_key = r->class_key;
      ev.data = u;
      return true;
    }
    case MR_EV_UNLOAD_RCU_SYNC: {
      auto* r = before_frames<mr_ev_unload_rcu_sync>(data, body);
      if (!r) return false;
      ev.data = UnloadRcuSync{r->ip};
      return true;
    }
  }
  return false;
}

bool is_symbol_record(const void* data, size_t size) {
  const auto* h = as<mr_event_header>(data, size);
  return h && h->kind == MR_REC_MODULE_SYMBOL;
}

bool is_lock_class_record(const void* data, size_t size) {
  const auto* h = as<mr_event_header>(data, size);
  return h && h->kind == MR_REC_LOCK_CLASS;
}

bool decode_lock_class(const void* data, size_t size, KernelSymbol& sym) {
  const auto* r = as<mr_rec_lock_class>(data, size);
  if (!r || r->hdr.kind != MR_REC_LOCK_CLASS || r->hdr.size > size || !r->key) return false;
  sym = KernelSymbol{};
  sym.addr = r->key;
  sym.type = kLockClassSymbolType;
  sym.name = fixed_string(r->name, MR_SYMBOL_NAME_LEN);
  return !sym.name.empty();
}

bool decode_symbol(const void* data, size_t size, uint64_t& module, KernelSymbol& sym) {
  const auto* r = as<mr_rec_module_symbol>(data, size);
  if (!r || r->hdr.kind != MR_REC_MODULE_SYMBOL || r->hdr.size > size || !r->addr) return false;
  sym = KernelSymbol{};
  sym.addr = r->addr;
  sym.type = static_cast<char>(r->type);
  sym.name = fixed_string(r->name, MR_SYMBOL_NAME_LEN);
  sym.size = r->size;
  module = r->module;
  return !sym.name.empty();
}

}  // namespace modrace::loader
