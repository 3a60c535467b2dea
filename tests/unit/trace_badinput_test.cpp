// SPDX-License-Identifier: GPL-2.0-only
//
// Hostile and damaged trace files: every one must give a clean modrace::Error naming the file
// and offset (bad header) or a stream that ends as truncated (bad tail), never a crash.
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "trace/codec.h"
#include "trace/format.h"
#include "trace/trace_file.h"
#include "trace_test_util.h"

using namespace modrace;
using modrace::test::TempFile;

namespace {

// Returns the Error message of opening `bytes`, or "" when it opened.
std::string open_error(const std::string& bytes) {
  TempFile f("bad");
  f.write(bytes);
  try {
    auto src = open_trace(f.path());
    return "";
  } catch (const Error& e) {
    std::string msg = e.what();
    // "FILE: <what> at offset N", one line.
    EXPECT_TRUE(std::regex_match(msg, std::regex("^" + f.path() + ": .+ at offset [0-9]+$")))
        << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
    EXPECT_EQ(e.exit_code(), kExitUsage);
    return msg;
  }
}

std::string small_trace(int events, bool close = true, int flush_every = 3) {
  TempFile f("small");
  StackTable stacks;
  auto evs = test::every_kind_events(stacks);
  {
    auto w = TraceWriter::create(f.path(), test::sample_meta());
    auto syms = test::sample_symbols();
    w->add_symbols(syms);
    for (int i = 0; i < events; i++) {
      w->write(evs[static_cast<size_t>(i) % evs.size()], stacks);
      if ((i + 1) % flush_every == 0) w->flush();
    }
    if (close)
      w->close();
    else
      w->flush();
    // Without close the destructor would add the end block; read the file now.
    if (!close) {
      std::string bytes = f.read();
      return bytes;
    }
  }
  return f.read();
}

struct Drained {
  std::vector<Event> events;
  TraceMeta meta;
};

Drained drain(const std::string& bytes) {
  TempFile f("drain");
  f.write(bytes);
  Drained d;
  auto src = open_trace(f.path());
  Event ev;
  while (src->next(ev)) d.events.push_back(ev);
  d.meta = src->meta();
  return d;
}

}  // namespace

TEST(TraceBadInput, EmptyFile) {
  EXPECT_NE(open_error("").find("empty file at offset 0"), std::string::npos);
}

TEST(TraceBadInput, WrongMagic) {
  EXPECT_NE(open_error("ELF\x7f and more bytes than a header").find("bad magic) at offset 0"),
            std::string::npos);
  EXPECT_NE(open_error("X").find("bad magic"), std::string::npos);
}

TEST(TraceBadInput, TruncatedHeader) {
  std::string good = small_trace(3);
  for (size_t n = 1; n < trace::kFileHeaderSize; n++)
    EXPECT_NE(open_error(good.substr(0, n)).find("truncated header"), std::string::npos) << n;
}

TEST(TraceBadInput, UnknownMajorVersion) {
  std::string t = small_trace(3);
  t[8] = 9;
  t[10] = 2;  // the minor version, in the message too
  EXPECT_NE(open_error(t).find("unsupported trace format version 9.2"), std::string::npos);
}

TEST(TraceBadInput, NewerMinorVersionIsRead) {
  std::string t = small_trace(3);
  t[10] = 7;
  EXPECT_EQ(open_error(t), "");
  EXPECT_EQ(drain(t).events.size(), 3u);
}

TEST(TraceBadInput, OtherByteOrder) {
  std::string t = small_trace(3);
  std::swap(t[4], t[7]);
  std::swap(t[5], t[6]);
  EXPECT_NE(open_error(t).find("other byte order"), std::string::npos);
}

TEST(TraceBadInput, MissingMetaBlock) {
  std::string t = small_trace(3).substr(0, trace::kFileHeaderSize + 5);
  EXPECT_NE(open_error(t).find("meta block"), std::string::npos);
}

TEST(TraceBadInput, RandomBytes) {
  std::mt19937 rng(42);
  for (int i = 0; i < 200; i++) {
    std::string junk(rng() % 300, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    if (junk.empty()) continue;
    EXPECT_NE(open_error(junk), "");
  }
}

// A corrupt chunk in the middle ends the stream there, marked truncated; what came before stays.
TEST(TraceBadInput, CorruptChunkInTheMiddle) {
  std::string t = small_trace(12, true, 3);
  auto good = drain(t);
  ASSERT_EQ(good.events.size(), 12u);
  // Find the third block after the meta block (second event chunk) by walking headers.
  size_t off = trace::kFileHeaderSize;
  std::vector<size_t> blocks;
  while (off + trace::kBlockHeaderSize <= t.size()) {
    blocks.push_back(off);
    trace::ByteReader r({reinterpret_cast<const uint8_t*>(t.data()) + off + 4, 4});
    off += trace::kBlockHeaderSize + r.le32();
  }
  ASSERT_GE(blocks.size(), 5u);
  size_t victim = blocks[3];  // meta, chunk(symbols + 3 events), chunk(3), chunk(3) ...
  std::string bad = t;
  bad[victim + trace::kBlockHeaderSize + 2] ^= 0x55;
  auto d = drain(bad);
  EXPECT_TRUE(d.meta.truncated);
  EXPECT_EQ(d.meta.truncated_at_offset, victim);
  EXPECT_NE(d.meta.truncation_reason.find("corrupt chunk"), std::string::npos);
  EXPECT_NE(d.meta.truncation_reason.find("at offset " + std::to_string(victim)),
            std::string::npos);
  ASSERT_EQ(d.events.size(), 6u);
  for (size_t i = 0; i < d.events.size(); i++) EXPECT_EQ(d.events[i], good.events[i]);

  // A block claiming to be huge is rejected before anything is allocated.
  bad = t;
  bad[victim + 7] = 0x7f;
  d = drain(bad);
  EXPECT_TRUE(d.meta.truncated);
  EXPECT_EQ(d.events.size(), 6u);
}

// Cut the file at every byte: the reader never crashes and returns every event of every chunk
// that is complete before the cut.
TEST(TraceBadInput, TruncationAtEveryOffset) {
  std::string t = small_trace(20, true, 2);
  auto full = drain(t);
  ASSERT_EQ(full.events.size(), 20u);
  // Events complete at each block end.
  std::vector<std::pair<size_t, size_t>> complete;  // (block end offset, events before it)
  size_t off = trace::kFileHeaderSize;
  size_t events_so_far = 0;
  bool first = true;
  while (off + trace::kBlockHeaderSize <= t.size()) {
    trace::ByteReader r({reinterpret_cast<const uint8_t*>(t.data()) + off, 16});
    uint16_t type = r.le16();
    r.le16();
    off += trace::kBlockHeaderSize + r.le32();
    if (type == trace::kBlockChunk) events_so_far += first ? 2 : 2;  // flush every 2 events
    first = false;
    complete.push_back({off, std::min<size_t>(events_so_far, 20)});
  }
  for (size_t cut = 0; cut < t.size(); cut++) {
    std::string part = t.substr(0, cut);
    TempFile f("cut");
    f.write(part);
    std::unique_ptr<EventSource> src;
    try {
      src = open_trace(f.path());
    } catch (const Error&) {
      EXPECT_LT(cut, complete.front().first) << "cut at " << cut;
      continue;
    }
    Event ev;
    size_t n = 0;
    while (src->next(ev)) {
      ASSERT_LT(n, full.events.size());
      EXPECT_EQ(ev, full.events[n]) << "cut at " << cut;
      n++;
    }
    EXPECT_TRUE(src->meta().truncated) << "cut at " << cut;
    size_t expected = 0;
    for (auto [end, evs] : complete)
      if (end <= cut) expected = evs;
    EXPECT_EQ(n, expected) << "cut at " << cut;
  }
}

TEST(TraceBadInput, UnknownBlockTypesAndRecordsAreSkipped) {
  std::string t = small_trace(3);
  auto full = drain(t);
  // Insert an unknown block right after the meta block.
  size_t meta_end;
  {
    trace::ByteReader r(
        {reinterpret_cast<const uint8_t*>(t.data()) + trace::kFileHeaderSize + 4, 4});
    meta_end = trace::kFileHeaderSize + trace::kBlockHeaderSize + r.le32();
  }
  trace::ByteWriter blk;
  std::string payload = "future data";
  blk.le16(99);
  blk.le16(0);
  blk.le32(static_cast<uint32_t>(payload.size()));
  blk.le32(static_cast<uint32_t>(payload.size()));
  blk.le32(trace::crc32({reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}));
  blk.raw(payload);
  std::string t2 = t.substr(0, meta_end) + blk.data() + t.substr(meta_end);
  auto d = drain(t2);
  EXPECT_FALSE(d.meta.truncated) << d.meta.truncation_reason;
  EXPECT_EQ(d.events, full.events);
}
