// SPDX-License-Identifier: GPL-2.0-only
//
// Ring-buffer records -> events (loader/wire.h), without a kernel: each record kind is built
// as the BPF side lays it out (bpf/modrace_abi.h) and decoded; short, oversized and unknown
// records are rejected.
#include "loader/wire.h"

#include <gtest/gtest.h>
#include <linux/types.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

extern "C" {
#include "modrace_abi.h"
}

namespace modrace::loader {
namespace {

template <typename R>
constexpr bool kHasStack = requires(R r) {
  r.frames;
};

// A record's fields, frames in `frames` (where the kind has room for a stack).
template <typename R>
R record(__u16 kind) {
  R r;
  std::memset(&r, 0, sizeof(r));
  auto& h = reinterpret_cast<mr_event_header&>(r);
  h.kind = kind;
  h.size = sizeof(R);
  h.cpu = 3;
  h.ts_ns = 123456789;
  h.pid = 100;
  h.tid = 101;
  std::strcpy(h.comm, "insmod");
  if constexpr (kHasStack<R>) {
    h.nr_frames = 3;
    r.frames[0] = 0xffffffffc0001000;
    r.frames[1] = 0xffffffff81000100;
    r.frames[2] = 0xffffffff81000200;
  }
  return r;
}

// The record as the BPF side sends it (bpf/modrace_abi.h's rules): the fields before its stack
// (of a refcount record's lock table only the held locks), then hdr.nr_frames frames (at most
// the room there is); hdr.size says how many bytes that is. Whole words, as the ring aligns them.
template <typename R>
std::vector<uint64_t> wire(const R& r) {
  const auto* bytes = reinterpret_cast<const char*>(&r);
  std::vector<char> out;
  size_t before = sizeof(R);
  size_t nframes = 0;
  if constexpr (std::is_same_v<R, mr_ev_refcount>)
    before = offsetof(mr_ev_refcount, locks.locks) +
             std::min<size_t>(r.locks.nr_locks, MR_MAX_HELD_LOCKS) * sizeof(mr_held_lock);
  else if constexpr (kHasStack<R>)
    before = offsetof(R, frames);
  if constexpr (kHasStack<R>) nframes = std::min<size_t>(r.hdr.nr_frames, MR_MAX_STACK_DEPTH);
  out.assign(bytes, bytes + before);
  if constexpr (kHasStack<R>)
    out.insert(out.end(), reinterpret_cast<const char*>(r.frames),
               reinterpret_cast<const char*>(r.frames + nframes));
  std::vector<uint64_t> words((out.size() + 7) / 8);
  std::memcpy(words.data(), out.data(), out.size());
  reinterpret_cast<mr_event_header*>(words.data())->size = static_cast<__u16>(out.size());
  return words;
}

template <typename R>
bool decode(const R& r, Event& ev, StackTable& stacks) {
  auto w = wire(r);
  return decode_record(w.data(), w.size() * 8, stacks, ev);
}

// The sent record with its header's size set to `size` (the ring's record unchanged).
template <typename R>
bool decode_claiming(const R& r, size_t size, Event& ev, StackTable& stacks) {
  auto w = wire(r);
  reinterpret_cast<mr_event_header*>(w.data())->size = static_cast<__u16>(size);
  return decode_record(w.data(), w.size() * 8, stacks, ev);
}

void expect_header(const Event& ev, const StackTable& stacks) {
  EXPECT_EQ(ev.ts_ns, 123456789u);
  EXPECT_EQ(ev.cpu, 3u);
  EXPECT_EQ(ev.pid, 100u);
  EXPECT_EQ(ev.tid, 101u);
  EXPECT_EQ(ev.comm_view(), "insmod");
  auto frames = stacks.frames(ev.stack);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0], 0xffffffffc0001000u);
  EXPECT_EQ(frames[2], 0xffffffff81000200u);
}

TEST(Wire, ModuleLoad) {
  auto r = record<mr_ev_module_load>(MR_EV_MODULE_LOAD);
  r.module = 0xffffffffc0100000;
  r.core_text_start = 0xffffffffc0001000;
  r.core_text_size = 0x2000;
  r.init_text_start = 0xffffffffc0200000;
  r.init_text_size = 0x100;
  std::strcpy(r.name, "seed_core");
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode(r, ev, stacks));
  EXPECT_EQ(ev.kind, EventKind::module_load);
  expect_header(ev, stacks);
  const auto& m = std::get<ModuleLoad>(ev.data);
  EXPECT_EQ(m.module, 0xffffffffc0100000u);
  EXPECT_EQ(m.name, "seed_core");
  EXPECT_EQ(m.core_text_start, 0xffffffffc0001000u);
  EXPECT_EQ(m.core_text_size, 0x2000u);
  EXPECT_EQ(m.init_text_start, 0xffffffffc0200000u);
  EXPECT_EQ(m.init_text_size, 0x100u);
  EXPECT_FALSE(m.preexisting);
  EXPECT_TRUE(payload_matches_kind(ev));
}

TEST(Wire, ModuleNameFillsItsField) {
  auto r = record<mr_ev_module_load>(MR_EV_MODULE_LOAD);
  std::memset(r.name, 'a', sizeof(r.name));  // no NUL: cut at the field's end
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode(r, ev, stacks));
  EXPECT_EQ(std::get<ModuleLoad>(ev.data).name, std::string(MR_MODULE_NAME_LEN, 'a'));
}

TEST(Wire, ModuleStateAndFree) {
  StackTable stacks;
  Event ev;
  auto s = record<mr_ev_module_state>(MR_EV_MODULE_STATE);
  s.module = 0x1000;
  s.state = MR_MODULE_GOING;
  ASSERT_TRUE(decode(s, ev, stacks));
  EXPECT_EQ(ev.kind, EventKind::module_state);
  EXPECT_EQ(std::get<ModuleStateChange>(ev.data), (ModuleStateChange{0x1000, ModuleState::going}));
  s.state = MR_MODULE_UNFORMED + 1;  // no such state
  EXPECT_FALSE(decode(s, ev, stacks));

  auto f = record<mr_ev_module_free>(MR_EV_MODULE_FREE);
  f.module = 0x2000;
  ASSERT_TRUE(decode(f, ev, stacks));
  EXPECT_EQ(ev.kind, EventKind::module_free);
  EXPECT_EQ(std::get<ModuleFree>(ev.data).module, 0x2000u);
}

TEST(Wire, DeleteModule) {
  auto r = record<mr_ev_delete_module>(MR_EV_DELETE_MODULE);
  r.phase = MR_PHASE_EXIT;
  r.flags = 0x800;
  r.ret = -16;
  std::strcpy(r.name, "seed_core");
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode(r, ev, stacks));
  EXPECT_EQ(ev.kind, EventKind::delete_module);
  const auto& d = std::get<DeleteModule>(ev.data);
  EXPECT_EQ(d.phase, Phase::exit);
  EXPECT_EQ(d.flags, 0x800u);
  EXPECT_EQ(d.ret, -16);
  EXPECT_EQ(d.name, "seed_core");
  r.phase = 7;  // anything but exit reads as enter
  ASSERT_TRUE(decode(r, ev, stacks));
  EXPECT_EQ(std::get<DeleteModule>(ev.data).phase, Phase::enter);
}

TEST(Wire, RefcountKindsWithLocks) {
  for (auto [abi, kind] : {std::pair{MR_EV_TRY_MODULE_GET, EventKind::try_module_get},
                           std::pair{MR_EV_MODULE_GET, EventKind::module_get},
                           std::pair{MR_EV_MODULE_PUT, EventKind::module_put}}) {
    auto r = record<mr_ev_refcount>(abi);
    r.module = 0xffffffffc0100000;
    r.caller_ip = 0xffffffffc0001234;
    r.refcount = 2;
    r.success = 1;
    r.locks.preempt_count = 1;
    r.locks.rcu_depth = 2;
    r.locks.irqs_disabled = 1;
    r.locks.provider = MR_LOCKS_PROBE;
    r.locks.nr_locks = 3;
    // A PREEMPT_RT spinlock_t taken with irqsave; bits the analyzer does not know are dropped.
    r.locks.locks[0] = {0xffff888000001000, 0xffffffffc0001000, MR_LOCK_SPINLOCK,
                        MR_HELD_RT | MR_HELD_IRQ | 0x80, 0};
    r.locks.locks[1] = {0, 0, MR_LOCK_MUTEX, 0, 0};  // an empty slot: skipped
    r.locks.locks[2] = {0xffff888000002000, 0, MR_LOCK_RWSEM_READ, 0, 0xffffffff83000000};
    StackTable stacks;
    Event ev;
    ASSERT_TRUE(decode(r, ev, stacks)) << int(abi);
    EXPECT_EQ(ev.kind, kind);
    expect_header(ev, stacks);
    const auto& op = ev.refcount();
    EXPECT_EQ(op.module, 0xffffffffc0100000u);
    EXPECT_EQ(op.caller_ip, 0xffffffffc0001234u);
    EXPECT_EQ(op.refcount, 2);
    EXPECT_TRUE(op.success);
    EXPECT_EQ(op.locks.preempt_count, 1u);
    EXPECT_EQ(op.locks.rcu_depth, 2u);
    EXPECT_TRUE(op.locks.irqs_disabled);
    EXPECT_FALSE(op.locks.in_interrupt);
    EXPECT_FALSE(op.locks.truncated);
    EXPECT_EQ(op.locks.provider, LockProvider::probe);
    auto held = op.locks.held();
    ASSERT_EQ(held.size(), 2u);
    EXPECT_EQ(held[0].addr, 0xffff888000001000u);
    EXPECT_EQ(held[0].acquire_ip, 0xffffffffc0001000u);
    EXPECT_EQ(held[0].kind, LockKind::spinlock);
    EXPECT_EQ(held[0].flags, kHeldRt | kHeldIrq);
    EXPECT_TRUE(held[0].rt_implicit_rcu());
    EXPECT_EQ(held[1].kind, LockKind::rwsem_read);
    EXPECT_EQ(held[1].flags, 0);
    EXPECT_EQ(held[1].class_key, 0xffffffff83000000u);
  }
}

TEST(Wire, LockCountAndProviderClamped) {
  auto r = record<mr_ev_refcount>(MR_EV_MODULE_PUT);
  r.locks.nr_locks = 200;  // more than the array: read up to MR_MAX_HELD_LOCKS
  for (int i = 0; i < MR_MAX_HELD_LOCKS; i++)
    r.locks.locks[i] = {0x1000u + i, 0, MR_LOCK_MUTEX, 0, 0};
  r.locks.provider = 9;  // unknown provider reads as off
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode(r, ev, stacks));
  EXPECT_EQ(ev.refcount().locks.held().size(), size_t(MR_MAX_HELD_LOCKS));
  EXPECT_EQ(ev.refcount().locks.provider, LockProvider::off);
}

TEST(Wire, LockKindRange) {
  EXPECT_EQ(lock_kind_from_abi(MR_LOCK_MUTEX), LockKind::mutex);
  EXPECT_EQ(lock_kind_from_abi(MR_LOCK_RWLOCK_WRITE), LockKind::rwlock_write);
  EXPECT_EQ(lock_kind_from_abi(MR_LOCK_LOCKDEP), LockKind::lockdep);
  EXPECT_EQ(lock_kind_from_abi(MR_LOCK_LOCKDEP_READ), LockKind::lockdep_read);
  EXPECT_EQ(lock_kind_from_abi(MR_LOCK_SRCU_READ), LockKind::srcu_read);
  EXPECT_EQ(lock_kind_from_abi(MR_LOCK_SRCU_SYNC), LockKind::srcu_sync);
  EXPECT_EQ(lock_kind_from_abi(0), LockKind::mutex);
  EXPECT_EQ(lock_kind_from_abi(MR_LOCK_SRCU_SYNC + 1), LockKind::mutex);
  EXPECT_EQ(lock_kind_from_abi(0xffffffff), LockKind::mutex);
  // The same rule for held locks and for unload locks.
  auto r = record<mr_ev_refcount>(MR_EV_MODULE_GET);
  r.locks.nr_locks = 1;
  r.locks.locks[0] = {0x1000, 0, 42, 0, 0};
  auto u = record<mr_ev_unload_lock>(MR_EV_UNLOAD_LOCK);
  u.lock = 0x1000;
  u.lock_kind = 42;
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode(r, ev, stacks));
  EXPECT_EQ(ev.refcount().locks.held()[0].kind, LockKind::mutex);
  ASSERT_TRUE(decode(u, ev, stacks));
  EXPECT_EQ(std::get<UnloadLock>(ev.data).kind, LockKind::mutex);
}

TEST(Wire, Driver) {
  auto r = record<mr_ev_driver>(MR_EV_DRIVER_UNREGISTER);
  r.driver = 0xffffffffc0105000;
  r.owner = 0xffffffffc0100000;
  r.phase = MR_PHASE_ENTER;
  r.ret = 0;
  std::strcpy(r.name, "seed_drv");
  std::strcpy(r.bus, "platform");
  r.locks.nr_locks = 1;
  r.locks.locks[0] = {0xffff888000003000, 0, MR_LOCK_MUTEX, 0, 0};
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode(r, ev, stacks));
  EXPECT_EQ(ev.kind, EventKind::driver_unregister);
  const auto& d = ev.driver();
  EXPECT_EQ(d.phase, Phase::enter);
  EXPECT_EQ(d.driver, 0xffffffffc0105000u);
  EXPECT_EQ(d.owner, 0xffffffffc0100000u);
  EXPECT_EQ(d.name, "seed_drv");
  EXPECT_EQ(d.bus, "platform");
  ASSERT_EQ(d.locks.held().size(), 1u);
  r.hdr.kind = MR_EV_DRIVER_REGISTER;
  r.phase = MR_PHASE_EXIT;
  r.ret = -17;
  ASSERT_TRUE(decode(r, ev, stacks));
  EXPECT_EQ(ev.kind, EventKind::driver_register);
  EXPECT_EQ(ev.driver().phase, Phase::exit);
  EXPECT_EQ(ev.driver().ret, -17);
}

TEST(Wire, UnloadLockAndRcuSync) {
  auto u = record<mr_ev_unload_lock>(MR_EV_UNLOAD_LOCK);
  u.lock = 0xffff888000004000;
  u.ip = 0xffffffff81234567;
  u.lock_kind = MR_LOCK_LOCKDEP;
  u.class_key = 0xffffffff83000010;
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode(u, ev, stacks));
  EXPECT_EQ(ev.kind, EventKind::unload_lock);
  EXPECT_EQ(std::get<UnloadLock>(ev.data), (UnloadLock{0xffff888000004000, 0xffffffff81234567,
                                                       LockKind::lockdep, 0xffffffff83000010}));

  auto s = record<mr_ev_unload_rcu_sync>(MR_EV_UNLOAD_RCU_SYNC);
  s.ip = 0xffffffff81000300;
  ASSERT_TRUE(decode(s, ev, stacks));
  EXPECT_EQ(ev.kind, EventKind::unload_rcu_sync);
  EXPECT_EQ(std::get<UnloadRcuSync>(ev.data).ip, 0xffffffff81000300u);
}

TEST(Wire, OwnFramesCutFromTheTop) {
  auto r = record<mr_ev_module_free>(MR_EV_MODULE_FREE);
  r.hdr.nr_frames = 4;
  r.frames[0] = 0xffffffffa0000010;  // BPF program
  r.frames[1] = 0xffffffffa0000020;  // trampoline
  r.frames[2] = 0xffffffff81000100;
  r.frames[3] = 0xffffffff81000200;
  auto w = wire(r);
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode_record(w.data(), w.size() * 8, stacks, ev,
                            [](uint64_t a) { return a >> 28 == 0xffffffffa; }));
  auto frames = stacks.frames(ev.stack);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], 0xffffffff81000100u);
}

TEST(Wire, StackIsTheRecordsTail) {
  auto r = record<mr_ev_module_free>(MR_EV_MODULE_FREE);
  r.hdr.nr_frames = MR_MAX_STACK_DEPTH;
  for (int i = 0; i < MR_MAX_STACK_DEPTH; i++) r.frames[i] = 0xffffffff81000000u + i;
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode(r, ev, stacks));
  auto frames = stacks.frames(ev.stack);
  ASSERT_EQ(frames.size(), size_t(MR_MAX_STACK_DEPTH));
  EXPECT_EQ(frames.back(), 0xffffffff81000000u + MR_MAX_STACK_DEPTH - 1);
  EXPECT_EQ(std::get<ModuleFree>(ev.data).module, 0u);
  // More frames than a stack has, or than the record holds after its fields: malformed.
  r.hdr.nr_frames = MR_MAX_STACK_DEPTH + 1;
  EXPECT_FALSE(decode(r, ev, stacks));
  r.hdr.nr_frames = 3;
  EXPECT_FALSE(decode_claiming(r, offsetof(mr_ev_module_free, frames) + 2 * 8, ev, stacks));
  EXPECT_FALSE(decode_claiming(r, sizeof(mr_event_header) + 3 * 8, ev, stacks));
  // Not whole words.
  EXPECT_FALSE(decode_claiming(r, offsetof(mr_ev_module_free, frames) + 3 * 8 - 4, ev, stacks));
}

// A refcount record by hand, byte by byte as the BPF side sends it: one held lock, then two
// frames right after it (the other seven lock slots are not sent).
TEST(Wire, RefcountRecordCarriesOnlyItsHeldLocks) {
  std::vector<uint64_t> w(11 + 4 + 2);  // 88 bytes of fields, one 32-byte lock, two frames
  auto* h = reinterpret_cast<mr_event_header*>(w.data());
  h->kind = MR_EV_TRY_MODULE_GET;
  h->size = static_cast<__u16>(w.size() * 8);
  h->nr_frames = 2;
  w[6] = 0xffffffffc0100000;  // module
  w[7] = 0xffffffffc0001234;  // caller_ip
  auto* c = reinterpret_cast<mr_lock_ctx*>(&w[9]);
  c->nr_locks = 1;
  c->provider = MR_LOCKS_PROBE;
  w[11] = 0xffff888000001000;  // locks[0].addr
  w[13] = MR_LOCK_MUTEX;       // locks[0].kind
  w[15] = 0xffffffff81000100;  // frames
  w[16] = 0xffffffff81000200;
  StackTable stacks;
  Event ev;
  ASSERT_TRUE(decode_record(w.data(), w.size() * 8, stacks, ev));
  const auto& op = ev.refcount();
  EXPECT_EQ(op.module, 0xffffffffc0100000u);
  EXPECT_EQ(op.caller_ip, 0xffffffffc0001234u);
  ASSERT_EQ(op.locks.held().size(), 1u);
  EXPECT_EQ(op.locks.held()[0].addr, 0xffff888000001000u);
  EXPECT_EQ(op.locks.held()[0].kind, LockKind::mutex);
  auto frames = stacks.frames(ev.stack);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], 0xffffffff81000100u);
  EXPECT_EQ(frames[1], 0xffffffff81000200u);
  // Two held locks claimed, one sent: the second would be read from the stack.
  c->nr_locks = 2;
  EXPECT_FALSE(decode_record(w.data(), w.size() * 8, stacks, ev));
  c->nr_locks = 1;
  EXPECT_TRUE(decode_record(w.data(), w.size() * 8, stacks, ev));
}

TEST(Wire, MalformedRecordsRejected) {
  StackTable stacks;
  Event ev;
  // Shorter than a header.
  auto h = record<mr_ev_module_free>(MR_EV_MODULE_FREE);
  auto w = wire(h);
  EXPECT_FALSE(decode_record(w.data(), sizeof(mr_event_header) - 1, stacks, ev));
  EXPECT_FALSE(decode_record(nullptr, 0, stacks, ev));
  // A header whose size claims more than the record has.
  EXPECT_FALSE(decode_claiming(h, w.size() * 8 + 8, ev, stacks));
  // Unknown kinds: 0, past the last event, and the non-event records.
  for (__u16 k : {__u16(0), __u16(MR_EV_KIND_MAX), __u16(MR_REC_MODULE_SYMBOL), __u16(200)}) {
    auto r = record<mr_ev_module_free>(k);
    EXPECT_FALSE(decode(r, ev, stacks)) << k;
  }
  // Each kind shorter than its fields: a header alone, no stack.
  auto header_only = [&](auto r) {
    r.hdr.nr_frames = 0;
    EXPECT_TRUE(decode(r, ev, stacks)) << r.hdr.kind;
    return decode_claiming(r, sizeof(mr_event_header), ev, stacks);
  };
  EXPECT_FALSE(header_only(record<mr_ev_module_load>(MR_EV_MODULE_LOAD)));
  EXPECT_FALSE(header_only(record<mr_ev_refcount>(MR_EV_MODULE_PUT)));
  EXPECT_FALSE(header_only(record<mr_ev_driver>(MR_EV_DRIVER_REGISTER)));
  EXPECT_FALSE(header_only(record<mr_ev_delete_module>(MR_EV_DELETE_MODULE)));
  EXPECT_FALSE(header_only(record<mr_ev_unload_lock>(MR_EV_UNLOAD_LOCK)));
  EXPECT_FALSE(header_only(record<mr_ev_module_state>(MR_EV_MODULE_STATE)));
  EXPECT_FALSE(header_only(record<mr_ev_unload_rcu_sync>(MR_EV_UNLOAD_RCU_SYNC)));
}

TEST(Wire, ModuleSymbolRecord) {
  auto r = record<mr_rec_module_symbol>(MR_REC_MODULE_SYMBOL);
  r.module = 0xffffffffc0100000;
  r.addr = 0xffffffffc0001000;
  r.type = 't';
  std::strcpy(r.name, "seed_open");
  EXPECT_TRUE(is_symbol_record(&r, sizeof(r)));
  EXPECT_FALSE(is_lock_class_record(&r, sizeof(r)));
  uint64_t mod = 0;
  KernelSymbol sym;
  ASSERT_TRUE(decode_symbol(&r, sizeof(r), mod, sym));
  EXPECT_EQ(mod, 0xffffffffc0100000u);
  EXPECT_EQ(sym.addr, 0xffffffffc0001000u);
  EXPECT_EQ(sym.type, 't');
  EXPECT_EQ(sym.name, "seed_open");
  EXPECT_EQ(sym.module, "");  // named later from the module_load of `mod`
  // Not an event.
  Event ev;
  StackTable stacks;
  EXPECT_FALSE(decode_record(&r, sizeof(r), stacks, ev));
  // Malformed: short, no address, no name, oversized header, wrong kind.
  EXPECT_FALSE(decode_symbol(&r, sizeof(r) - 1, mod, sym));
  auto bad = r;
  bad.addr = 0;
  EXPECT_FALSE(decode_symbol(&bad, sizeof(bad), mod, sym));
  bad = r;
  bad.name[0] = 0;
  EXPECT_FALSE(decode_symbol(&bad, sizeof(bad), mod, sym));
  bad = r;
  bad.hdr.size = sizeof(bad) + 1;
  EXPECT_FALSE(decode_symbol(&bad, sizeof(bad), mod, sym));
  bad = r;
  bad.hdr.kind = MR_REC_LOCK_CLASS;
  EXPECT_FALSE(decode_symbol(&bad, sizeof(bad), mod, sym));
  EXPECT_FALSE(is_symbol_record(&r, sizeof(mr_event_header) - 1));
}

TEST(Wire, LockClassRecord) {
  auto r = record<mr_rec_lock_class>(MR_REC_LOCK_CLASS);
  r.key = 0xffffffff83000010;
  r.lock = 0xffff888000004000;
  std::strcpy(r.name, "&dev->mutex");
  EXPECT_TRUE(is_lock_class_record(&r, sizeof(r)));
  EXPECT_FALSE(is_symbol_record(&r, sizeof(r)));
  KernelSymbol sym;
  ASSERT_TRUE(decode_lock_class(&r, sizeof(r), sym));
  EXPECT_EQ(sym.addr, 0xffffffff83000010u);
  EXPECT_EQ(sym.type, kLockClassSymbolType);
  EXPECT_EQ(sym.name, "&dev->mutex");
  EXPECT_FALSE(decode_lock_class(&r, sizeof(r) - 1, sym));
  auto bad = r;
  bad.key = 0;
  EXPECT_FALSE(decode_lock_class(&bad, sizeof(bad), sym));
  bad = r;
  bad.name[0] = 0;
  EXPECT_FALSE(decode_lock_class(&bad, sizeof(bad), sym));
  bad = r;
  bad.hdr.kind = MR_REC_MODULE_SYMBOL;
  EXPECT_FALSE(decode_lock_class(&bad, sizeof(bad), sym));
}

// The recorder decodes every record into the same event: what one record left there (its locks,
// a widen mark, another payload) never shows in the next.
TEST(Wire, EventReusedRecordAfterRecordEqualsAFreshOne) {
  auto busy = record<mr_ev_refcount>(MR_EV_TRY_MODULE_GET);
  busy.module = 0xffffffffc0100000;
  busy.caller_ip = 0xffffffffc0001234;
  busy.refcount = 3;
  busy.success = 1;
  busy.widen = MR_WIDEN_HELD;
  busy.widen_us = 500;
  busy.locks.truncated = 1;
  busy.locks.provider = MR_LOCKS_PROBE;
  busy.locks.nr_locks = 2;
  busy.locks.locks[0] = {0xffff888000001000, 0xffffffffc0001000, MR_LOCK_MUTEX, 0, 0};
  busy.locks.locks[1] = {0xffff888000002000, 0xffffffffc0001100, MR_LOCK_SPINLOCK, 0, 0};
  auto plain = record<mr_ev_refcount>(MR_EV_MODULE_PUT);
  plain.module = 0xffffffffc0200000;
  plain.caller_ip = 0xffffffff81001000;
  plain.refcount = -1;
  plain.hdr.nr_frames = 0;
  std::strcpy(plain.hdr.comm, "kworker/0:1");
  auto load = record<mr_ev_module_load>(MR_EV_MODULE_LOAD);
  load.module = 0xffffffffc0300000;
  std::strcpy(load.name, "other");

  StackTable stacks;
  Event reused;
  auto fresh = [&](const auto& r) {
    Event ev;
    EXPECT_TRUE(decode(r, ev, stacks));
    return ev;
  };
  ASSERT_TRUE(decode(busy, reused, stacks));
  ASSERT_TRUE(decode(plain, reused, stacks));
  EXPECT_EQ(reused, fresh(plain));
  EXPECT_EQ(reused.refcount().locks.held().size(), 0u);
  EXPECT_FALSE(reused.refcount().locks.truncated);
  EXPECT_EQ(reused.refcount().widen, WidenMark::none);
  EXPECT_EQ(reused.refcount().widen_us, 0);
  EXPECT_EQ(reused.stack, 0u);
  EXPECT_EQ(reused.comm_view(), "kworker/0:1");
  ASSERT_TRUE(decode(load, reused, stacks));
  EXPECT_EQ(reused, fresh(load));
  ASSERT_TRUE(decode(busy, reused, stacks));
  EXPECT_EQ(reused, fresh(busy));
  EXPECT_EQ(reused.comm_view(), "insmod");  // a shorter name after a longer one
}

}  // namespace
}  // namespace modrace::loader
