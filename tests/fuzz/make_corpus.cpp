// SPDX-License-Identifier: GPL-2.0-only
//
// Writes the fuzz seed traces (valid, killed-writer, damaged) into a directory. The committed
// corpus in tests/fuzz/corpus/ was made with it: trace_make_corpus tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <zstd.h>

#include "../unit/trace_test_util.h"
#include "trace/codec.h"
#include "trace/format.h"
#include "trace/trace_file.h"

using namespace modrace;

namespace {
std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void spit(const std::string& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
// The same trace with every chunk stored uncompressed (flags 0, which readers accept): mutations
// then hit the record decoders instead of dying in zstd.
std::string uncompressed(const std::string& t) {
  std::string out = t.substr(0, trace::kFileHeaderSize);
  size_t off = trace::kFileHeaderSize;
  while (off + trace::kBlockHeaderSize <= t.size()) {
    trace::ByteReader r(
        {reinterpret_cast<const uint8_t*>(t.data()) + off, trace::kBlockHeaderSize});
    uint16_t type = r.le16(), flags = r.le16();
    uint32_t stored = r.le32(), raw = r.le32();
    std::string payload = t.substr(off + trace::kBlockHeaderSize, stored);
    if (flags & trace::kFlagZstd) {
      std::string dec(raw, '\0');
      ZSTD_decompress(dec.data(), dec.size(), payload.data(), payload.size());
      payload = dec;
    }
    trace::ByteWriter w;
    w.le16(type);
    w.le16(0);
    w.le32(static_cast<uint32_t>(payload.size()));
    w.le32(static_cast<uint32_t>(payload.size()));
    w.le32(trace::crc32({reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}));
    w.raw(payload);
    out += w.data();
    off += trace::kBlockHeaderSize + stored;
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  StackTable stacks;
  auto events = test::every_kind_events(stacks);
  auto syms = test::sample_symbols();
  auto write = [&](const std::string& name, size_t n, int flush_every, bool close) {
    std::string path = dir + "/" + name;
    auto w = TraceWriter::create(path, test::sample_meta());
    w->add_symbols(syms);
    DropCounters d;
    d[DropCause::stack] = 2;
    w->set_drops(d);
    for (size_t i = 0; i < n; i++) {
      w->write(events[i % events.size()], stacks);
      if (flush_every && (i + 1) % flush_every == 0) w->flush();
    }
    if (close) {
      w->close();
      return slurp(path);
    }
    w->flush();
    std::string bytes = slurp(path);  // before the destructor adds the end block
    w.reset();
    spit(path, bytes);
    return bytes;
  };
  std::string all = write("valid-all-kinds.mrtrace", events.size(), 8, true);
  spit(dir + "/valid-all-kinds-raw.mrtrace", uncompressed(all));
  spit(dir + "/valid-one-chunk-raw.mrtrace",
       uncompressed(write("valid-one-chunk.mrtrace", 5, 0, true)));
  write("killed-writer.mrtrace", 12, 4, false);
  {
    auto w = TraceWriter::create(dir + "/valid-empty.mrtrace", TraceMeta{});
    w->close();
  }
  spit(dir + "/cut-mid-chunk.mrtrace", all.substr(0, all.size() * 2 / 3));
  std::string flipped = all;
  flipped[flipped.size() / 2] ^= 0x20;
  spit(dir + "/bit-flip.mrtrace", flipped);
  spit(dir + "/bad-magic.mrtrace", "GARBAGE-NOT-A-TRACE");
  spit(dir + "/header-only.mrtrace", all.substr(0, 16));
  std::printf("wrote seed traces to %s\n", dir.c_str());
  return 0;
}
