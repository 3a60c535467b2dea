// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "trace/event_format.h"
#include "trace/trace_file.h"
#include "trace_test_util.h"

using namespace modrace;
using modrace::test::TempFile;

namespace {

struct ReadBack {
  std::vector<Event> events;
  TraceMeta meta;
  std::vector<std::vector<uint64_t>> stacks;  // frames per event
  std::vector<KernelSymbol> symbols;
};

ReadBack read_all(const std::string& path) {
  ReadBack rb;
  auto src = open_trace(path);
  Event ev;
  while (src->next(ev)) {
    rb.events.push_back(ev);
    auto f = src->stacks().frames(ev.stack);
    rb.stacks.emplace_back(f.begin(), f.end());
  }
  rb.meta = src->meta();
  rb.symbols = src->symbols().kernel_symbols();
  for (size_t i = 0; i < src->symbols().loads().size(); i++)
    for (const auto& s : src->symbols().module_symbols(i)) rb.symbols.push_back(s);
  return rb;
}

void expect_meta_eq(const TraceMeta& a, const TraceMeta& b) {
  EXPECT_EQ(a.kernel_release, b.kernel_release);
  EXPECT_EQ(a.hostname, b.hostname);
  EXPECT_EQ(a.modrace_version, b.modrace_version);
  EXPECT_EQ(a.lock_provider, b.lock_provider);
  EXPECT_EQ(a.features, b.features);
  EXPECT_EQ(a.start_ts_ns, b.start_ts_ns);
  EXPECT_EQ(a.start_realtime_ns, b.start_realtime_ns);
}

}  // namespace

TEST(TraceRoundTrip, EveryKindEveryField) {
  TempFile f("roundtrip");
  StackTable stacks;
  auto events = test::every_kind_events(stacks);
  auto meta = test::sample_meta();
  DropCounters drops;
  for (int c = 0; c < kDropCauseMax; c++) drops.by_cause[c] = 100 + c;
  {
    auto w = TraceWriter::create(f.path(), meta);
    auto syms = test::sample_symbols();
    w->add_symbols(syms);
    size_t i = 0;
    for (const auto& ev : events) {
      w->write(ev, stacks);
      if (++i % 7 == 0) w->flush();  // events spread over several chunks
    }
    w->set_drops(drops);
    w->close();
    EXPECT_EQ(w->events_written(), events.size());
    EXPECT_EQ(w->bytes_written(), f.read().size());
  }
  auto rb = read_all(f.path());
  ASSERT_EQ(rb.events.size(), events.size());
  for (size_t i = 0; i < events.size(); i++) {
    EXPECT_EQ(rb.events[i], events[i]) << "event " << i << " kind " << to_string(events[i].kind);
    auto want = stacks.frames(events[i].stack);
    EXPECT_EQ(rb.stacks[i], std::vector<uint64_t>(want.begin(), want.end())) << i;
  }
  expect_meta_eq(rb.meta, meta);
  EXPECT_EQ(rb.meta.drops.by_cause, drops.by_cause);
  EXPECT_FALSE(rb.meta.truncated);
  auto syms = test::sample_symbols();
  ASSERT_EQ(rb.symbols.size(), syms.size());
  for (size_t i = 0; i < syms.size(); i++) EXPECT_EQ(rb.symbols[i], syms[i]);
}

TEST(TraceRoundTrip, TraceFilesAreOwnerOnlyAlsoWhenReplacingAnOlderFile) {
  // A trace holds kernel addresses and symbol tables.
  TempFile fresh("mode-new"), older("mode-old");
  { std::ofstream(older.path()) << "an older, world-readable file"; }
  ::chmod(older.path().c_str(), 0644);
  for (const TempFile* f : {&fresh, &older}) {
    TraceWriter::create(f->path(), test::sample_meta())->close();
    struct stat st {};
    ASSERT_EQ(::stat(f->path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f->path();
  }
}

// Module symbols belong to the load of their module: its text range comes with its module_load
// event, and its symbols keep naming it after it is unloaded, at the epochs it was live.
TEST(TraceRoundTrip, ModuleSymbolsBelongToTheirLoad) {
  TempFile f("symbols");
  auto load = [](uint64_t ptr, const char* name) {
    Event ev;
    ev.kind = EventKind::module_load;
    ev.ts_ns = 5;
    ModuleLoad m;
    m.module = ptr;
    m.name = name;
    m.core_text_start = 0xffffffffc0000000ull;
    m.core_text_size = 0x200;
    ev.data = m;
    return ev;
  };
  Event free_core;
  free_core.kind = EventKind::module_free;
  free_core.data = ModuleFree{0xffffffffc1000000ull};
  {
    auto w = TraceWriter::create(f.path(), test::sample_meta());
    auto syms = test::sample_symbols();
    w->add_symbols(std::span(syms).first(3));  // vmlinux
    StackTable none;
    w->write(load(0xffffffffc1000000ull, "seed_core"), none);
    w->add_symbols(std::span(syms).subspan(3));  // seed_core's, after its load
    w->write(free_core, none);
    w->write(load(0xffffffffc2000000ull, "other_mod"), none);  // same address, no symbols
    w->close();
  }
  auto src = open_trace(f.path());
  Event ev;
  std::vector<SymbolEpoch> epochs;
  while (src->next(ev)) epochs.push_back(src->event_epoch());
  ASSERT_EQ(epochs.size(), 3u);
  const auto& t = src->symbols();
  EXPECT_EQ(t.at(epochs[0]).format(0xffffffffc0000110ull), "seed_release+0x10 [seed_core]");
  EXPECT_EQ(t.at(epochs[1]).format(0xffffffffc0000110ull), "seed_release+0x10 [seed_core]");
  EXPECT_EQ(t.at(epochs[0]).format(0xffffffffc0000300ull), "0xffffffffc0000300");
  EXPECT_EQ(t.at(epochs[2]).format(0xffffffffc0000110ull), ".text+0x110 [other_mod]");
  EXPECT_EQ(t.now().name_data(0xffffffff82000000ull).value_or(""), "misc_mtx");
  EXPECT_EQ(t.module_symbols(0).size(), 2u);
  EXPECT_EQ(t.module_symbols(0)[1].size, 0x80u);  // sizes travel (format 1.2)
  auto missing = missing_symbols(t, src->meta());
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].find("other_mod"), std::string::npos) << missing[0];
}

// Lockdep class names travel with the symbols but never name addresses: a class key sits on a
// `__key.N` object, which must keep resolving as before.
TEST(TraceRoundTrip, LockClassNamesKeptApartFromSymbols) {
  TempFile f("classes");
  const uint64_t key = 0xffffffff82000000ull;  // misc_mtx's address in sample_symbols
  {
    auto w = TraceWriter::create(f.path(), test::sample_meta());
    auto syms = test::sample_symbols();
    syms.push_back({key, kLockClassSymbolType, "&disk->open_mutex", ""});
    w->add_symbols(syms);
    w->close();
  }
  auto src = open_trace(f.path());
  Event ev;
  EXPECT_FALSE(src->next(ev));
  EXPECT_EQ(src->symbols().lock_class(key).value_or(""), "&disk->open_mutex");
  EXPECT_FALSE(src->symbols().lock_class(key + 8).has_value());
  EXPECT_EQ(src->symbols().now().name_data(key).value_or(""), "misc_mtx");
  EXPECT_EQ(src->symbols().lock_class_count(), 1u);
  EXPECT_EQ(src->symbols().now().lock_name(key + 0x40, key), "&disk->open_mutex");
}

TEST(TraceRoundTrip, LastDropsWinAndKilledWriterKeepsRecentDrops) {
  TempFile f("drops");
  StackTable stacks;
  auto events = test::every_kind_events(stacks);
  auto w = TraceWriter::create(f.path(), test::sample_meta());
  DropCounters d;
  d[DropCause::ringbuf_full] = 1;
  w->set_drops(d);
  w->write(events[0], stacks);
  w->flush();
  d[DropCause::ringbuf_full] = 7;
  d[DropCause::lock_recursion] = 3;
  w->set_drops(d);
  w->flush();  // no events since the last flush: the drops alone still reach the file
  // Simulate SIGKILL: read the file as it is now, without close().
  auto rb = read_all(f.path());
  EXPECT_EQ(rb.events.size(), 1u);
  EXPECT_TRUE(rb.meta.truncated);
  EXPECT_EQ(rb.meta.drops[DropCause::ringbuf_full], 7u);
  EXPECT_EQ(rb.meta.drops[DropCause::lock_recursion], 3u);
  w->close();
  rb = read_all(f.path());
  EXPECT_FALSE(rb.meta.truncated);
  EXPECT_EQ(rb.meta.drops[DropCause::ringbuf_full], 7u);
}

TEST(TraceRoundTrip, EmptyTrace) {
  TempFile f("empty");
  TraceMeta m;  // all defaults
  TraceWriter::create(f.path(), m)->close();
  auto rb = read_all(f.path());
  EXPECT_TRUE(rb.events.empty());
  EXPECT_FALSE(rb.meta.truncated);
  EXPECT_EQ(rb.meta.drops.total(), 0u);
}

TEST(TraceRoundTrip, DestructorClosesTheTrace) {
  TempFile f("dtor");
  StackTable stacks;
  auto events = test::every_kind_events(stacks);
  {
    auto w = TraceWriter::create(f.path(), test::sample_meta());
    for (const auto& ev : events) w->write(ev, stacks);
  }
  auto rb = read_all(f.path());
  EXPECT_EQ(rb.events.size(), events.size());
  EXPECT_FALSE(rb.meta.truncated);
}

TEST(TraceRoundTrip, WriteAfterCloseThrows) {
  TempFile f("closed");
  auto w = TraceWriter::create(f.path(), test::sample_meta());
  w->close();
  w->close();  // idempotent
  StackTable stacks;
  EXPECT_THROW(w->write(test::every_kind_events(stacks)[0], stacks), Error);
}

TEST(TraceRoundTrip, RejectsStdoutAndUnwritablePaths) {
  EXPECT_THROW(TraceWriter::create("-", {}), Error);
  EXPECT_THROW(TraceWriter::create("/nonexistent-dir/x.trace", {}), Error);
}

// The writer closes chunks on its own as they fill: a large stream spans many chunks and is read
// back in order, and a reader of a killed writer's file gets every complete chunk.
TEST(TraceRoundTrip, ManyChunksStreamInOrder) {
  TempFile f("many");
  StackTable stacks;
  auto kinds = test::every_kind_events(stacks);
  auto w = TraceWriter::create(f.path(), test::sample_meta());
  const int n = 200000;
  for (int i = 0; i < n; i++) {
    Event ev = kinds[static_cast<size_t>(i) % kinds.size()];
    ev.ts_ns = 1000000 + static_cast<uint64_t>(i) * 1000;
    w->write(ev, stacks);
  }
  // No flush, no close: whatever the writer closed by itself must be readable.
  uint64_t seen = 0;
  {
    auto src = open_trace(f.path());
    Event ev;
    while (src->next(ev)) {
      ASSERT_EQ(ev.ts_ns, 1000000 + seen * 1000);
      seen++;
    }
    EXPECT_TRUE(src->meta().truncated);
  }
  EXPECT_GT(seen, 0u);
  EXPECT_LT(seen, static_cast<uint64_t>(n));
  w->close();
  auto src = open_trace(f.path());
  Event ev;
  seen = 0;
  while (src->next(ev)) seen++;
  EXPECT_EQ(seen, static_cast<uint64_t>(n));
}

// The blocks are read ahead on a thread (trace/block_reader.h): a reader dropped after a few
// events (`dump | head`, an error in the caller) stops it and closes the file, however many
// blocks remain, and readers of the same file run side by side.
TEST(TraceRoundTrip, ReaderDroppedMidStreamStopsReadingAhead) {
  TempFile f("ahead");
  StackTable stacks;
  auto kinds = test::every_kind_events(stacks);
  {
    auto w = TraceWriter::create(f.path(), test::sample_meta());
    for (int i = 0; i < 20000; i++) {
      w->write(kinds[static_cast<size_t>(i) % kinds.size()], stacks);
      if (i % 50 == 49) w->flush();  // 400 blocks
    }
  }
  for (int taken : {0, 1, 120, 19999}) {
    auto a = open_trace(f.path());
    auto b = open_trace(f.path());
    Event ea, eb;
    for (int i = 0; i < taken; i++) {
      ASSERT_TRUE(a->next(ea));
      ASSERT_TRUE(b->next(eb));
      ASSERT_EQ(ea, eb);
    }
  }  // each reader's destructor joins its thread: a hang here fails the test by its timeout
  auto src = open_trace(f.path());
  Event ev;
  uint64_t n = 0;
  while (src->next(ev)) n++;
  EXPECT_EQ(n, 20000u);
  EXPECT_FALSE(src->next(ev));  // asked again past the end: still the end, no wait
  EXPECT_TRUE(src->complete());
}

// The writer finds a chunk's tasks by tid and a caller's stacks by the caller's ids: a tid that
// comes back as another task (exec renames it; a reused tid in another process) and two callers'
// tables whose ids name different stacks each read back as written.
TEST(TraceRoundTrip, TasksAndStacksFoundByIdStillReadBackAsWritten) {
  TempFile f("ids");
  StackTable a, b;
  StackId in_a = a.intern(std::vector<uint64_t>{0xffffffff81000100, 0xffffffff81000200});
  StackId in_b = b.intern(std::vector<uint64_t>{0xffffffffc0001000});
  ASSERT_EQ(in_a, in_b);  // the same id, other frames
  auto ev_of = [](uint32_t pid, uint32_t tid, const char* comm, StackId stack, uint64_t ts) {
    Event ev;
    ev.kind = EventKind::module_put;
    ev.ts_ns = ts;
    ev.pid = pid;
    ev.tid = tid;
    ev.set_comm(comm);
    ev.stack = stack;
    RefcountOp op;
    op.module = 0xffffffffc0100000;
    ev.data = op;
    return ev;
  };
  std::vector<Event> written = {ev_of(10, 11, "sh", in_a, 1), ev_of(10, 11, "modprobe", in_b, 2),
                                ev_of(20, 11, "modprobe", in_a, 3), ev_of(10, 11, "sh", in_a, 4),
                                ev_of(20, 11, "modprobe", in_b, 5)};
  std::vector<const StackTable*> table = {&a, &b, &a, &a, &b};
  {
    auto w = TraceWriter::create(f.path(), test::sample_meta());
    for (size_t i = 0; i < written.size(); i++) w->write(written[i], *table[i]);
    w->close();
  }
  auto rb = read_all(f.path());
  ASSERT_EQ(rb.events.size(), written.size());
  for (size_t i = 0; i < written.size(); i++) {
    EXPECT_EQ(rb.events[i].pid, written[i].pid) << i;
    EXPECT_EQ(rb.events[i].tid, written[i].tid) << i;
    EXPECT_EQ(rb.events[i].comm_view(), written[i].comm_view()) << i;
    auto frames = table[i]->frames(written[i].stack);
    EXPECT_EQ(rb.stacks[i], std::vector<uint64_t>(frames.begin(), frames.end())) << i;
  }
}
