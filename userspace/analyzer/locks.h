// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. Lock semantics: when two holders of a lock exclude each other, when
// two sightings are one lock, and the unload path's record of a lock it took.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/symbols.h"

namespace modrace::checker {

// Two holders of one lock exclude each other unless both only read it (lockdep says which: its
// `read`, e.g. srcu_read_lock on both the opener's and the unload's side excludes nothing). An
// SRCU read side is a reader; the unload's synchronize_srcu on it (srcu_sync) waits for every
// reader that began before it, so it counts as the exclusive side.
inline bool exclusive(LockKind k) {
  return k != LockKind::rwlock_read && k != LockKind::rwsem_read && k != LockKind::lockdep_read &&
         k != LockKind::srcu_read;
}

// One lock seen twice: the same address and the same family of primitive (read and write sides
// of an rwlock or rwsem are one lock). The family matters on PREEMPT_RT, where a mutex, an
// rt_mutex and a spinlock_t begin with their rt_mutex_base's raw wait_lock: an unload blocked on
// a mutex takes that wait_lock, at the mutex's own address, long before it owns the mutex.
inline int lock_family(LockKind k) {
  switch (k) {
    case LockKind::rwlock_read:
    case LockKind::rwlock_write:
      return 3;
    case LockKind::rwsem_read:
    case LockKind::rwsem_write:
      return 4;
    case LockKind::lockdep:
    case LockKind::lockdep_read:
      return 7;
    case LockKind::srcu_read:
    case LockKind::srcu_sync:
      return 9;
    default:
      return static_cast<int>(k);
  }
}
// An SRCU read side at an address: named by its srcu_struct (probe provider) or, on a lockdep
// kernel, by lockdep as a read-held lock at its dep_map. The recorder keys an unload's
// synchronize_srcu the same way (bpf/unload.bpf.h), so srcu_sync at that address says it is an
// SRCU read side.
inline bool srcu_reader(LockKind k) {
  return k == LockKind::srcu_read || k == LockKind::lockdep_read;
}
inline bool same_lock(uint64_t a, LockKind ka, uint64_t b, LockKind kb) {
  if (a != b) return false;
  if (ka == LockKind::srcu_sync && kb != LockKind::srcu_sync) return srcu_reader(kb);
  if (kb == LockKind::srcu_sync && ka != LockKind::srcu_sync) return srcu_reader(ka);
  return lock_family(ka) == lock_family(kb);
}

struct UnloadLockRec {
  uint64_t addr = 0;
  uint64_t ip = 0;
  LockKind kind = LockKind::mutex;
  uint64_t class_key = 0;  // lockdep provider
  std::string
      via;  // "delete_module", the module function that took it, or "driver_unregister(<name>)"
  uint64_t ts = 0;  // when the unload certainly held it (the recorder keeps one per lock)
  // Taken by module code on the unload path (the exit -> xxx_unregister), not by the loader or
  // core teardown: the locks a fix should name.
  bool module_code = false;
  uint64_t via_pc = 0;    // the module code's frame, named as `via` when the report is built
  SymbolEpoch epoch = 0;  // of the event that showed it: names come from the loads live then
};

// The first lock held in `lc` that the unload path also took, with one side exclusive.
const HeldLock* shared_lock(const LockContext& lc, const std::vector<UnloadLockRec>& profile,
                            const UnloadLockRec** in_profile = nullptr);

// Held lock `l` as credited with protection by the unload's `u`: an SRCU read side that the
// unload waited for is kind srcu_read whichever provider saw it (lockdep calls it a read lock).
inline HeldLock credited(const HeldLock& l, const UnloadLockRec& u) {
  HeldLock c = l;
  if (u.kind == LockKind::srcu_sync) c.kind = LockKind::srcu_read;
  return c;
}

// How a protected verdict names what protected it: the lock's name, "srcu NAME" for an SRCU
// read side the unload waited for.
std::string protection_name(const HeldLock& l, SymbolView syms);

void add_unique(std::vector<UnloadLockRec>& v, const UnloadLockRec& l);

std::string lock_context_text(const LockContext& lc);

inline bool lock_info_incomplete(const LockContext& lc) {
  return lc.truncated || lc.provider == LockProvider::off || lc.in_interrupt;
}

}  // namespace modrace::checker
