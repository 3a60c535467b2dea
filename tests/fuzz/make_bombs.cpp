// SPDX-License-Identifier: GPL-2.0-only
//
// Writes the resource-bomb traces of tests/fuzz/regressions/: small files whose content would
// cost gigabytes or minutes if the reader trusted it (issue 18, item 2). Each is built record by
// record with the codec, as a hostile writer would, and its chunks compressed at zstd's highest
// level so that a few hundred bytes decompress to the 4 MiB a chunk may hold. The committed
// files were made with it: trace_make_bombs tests/fuzz/regressions
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <zstd.h>

#include "trace/codec.h"
#include "trace/format.h"

using namespace modrace;
using trace::ByteWriter;

namespace {

// Raw records per chunk: a little under the 4 MiB a chunk may hold.
constexpr size_t kChunkRaw = trace::kMaxBlockSize - 4096;

class BombWriter {
 public:
  BombWriter() {
    out_.raw(std::string_view(trace::kMagic, 4));
    out_.le32(trace::kByteOrderMark);
    out_.le16(trace::kVersionMajor);
    out_.le16(trace::kVersionMinor);
    out_.le32(trace::kFileHeaderSize);
    ByteWriter meta;
    meta.str("6.1.0-bomb");
    meta.str("bomb");
    meta.str("0");
    meta.varint(0);  // lock provider
    meta.varint(0);  // features
    block(trace::kBlockMeta, meta.data(), false);
  }
  // One chunk whose records are what `fill` writes into a ByteWriter.
  void chunk(const std::function<void(ByteWriter&)>& fill) {
    ByteWriter w;
    fill(w);
    block(trace::kBlockChunk, w.data(), true);
  }
  void save(const std::string& path) {
    ByteWriter end;
    end.varint(0);  // events
    end.varint(0);  // drop counters
    block(trace::kBlockEnd, end.data(), false);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(out_.data().data(), static_cast<std::streamsize>(out_.size()));
    std::printf("%s: %zu bytes\n", path.c_str(), out_.size());
  }

 private:
  void block(uint16_t type, const std::string& raw, bool compress) {
    std::string stored = raw;
    if (compress) {
      stored.resize(ZSTD_compressBound(raw.size()));
      size_t n = ZSTD_compress(stored.data(), stored.size(), raw.data(), raw.size(), 19);
      stored.resize(n);
    }
    out_.le16(type);
    out_.le16(compress ? trace::kFlagZstd : 0);
    out_.le32(static_cast<uint32_t>(stored.size()));
    out_.le32(static_cast<uint32_t>(raw.size()));
    out_.le32(trace::crc32({reinterpret_cast<const uint8_t*>(stored.data()), stored.size()}));
    out_.raw(stored);
  }
  ByteWriter out_;
};

void record(ByteWriter& w, uint32_t tag, const ByteWriter& body) {
  w.varint(tag);
  w.varint(body.size());
  w.raw(body.data());
}

// The common prefix of an event: ts delta, cpu, task (defined by the chunk's first event, then
// entry 1), stack id.
void event_prefix(ByteWriter& b, bool first, uint64_t stack = 0) {
  b.svarint(1);
  b.varint(0);
  if (first) {
    b.varint(0);
    b.varint(100);
    b.varint(100);
    b.str("bomb");
  } else {
    b.varint(1);
  }
  b.varint(stack);
}

uint32_t event_tag(int kind) { return trace::kRecEventBase + static_cast<uint32_t>(kind); }
constexpr int kModuleLoad = 1, kModuleFree = 3, kModuleGet = 6;

// A value reference: entry `ref` of the chunk's table, or (0) a new entry `v`.
void value(ByteWriter& b, uint64_t ref, uint64_t v) {
  b.varint(ref);
  if (!ref) b.varint(v);
}

// A module_get without locks; the chunk's first one (`first_get`) defines the lock context.
void module_get(ByteWriter& w, bool first_event, bool first_get, uint64_t module_ref,
                uint64_t module, uint64_t caller_ref, uint64_t caller) {
  ByteWriter b;
  event_prefix(b, first_event);
  value(b, module_ref, module);
  value(b, caller_ref, caller);
  b.svarint(2);  // refcount
  b.u8(1);       // success
  b.varint(first_get ? 0 : 1);
  if (first_get) {  // preempt count, rcu depth, flags, provider (probe), no locks
    b.varint(0);
    b.varint(0);
    b.u8(0);
    b.u8(1);
    b.u8(0);
  }
  record(w, event_tag(kModuleGet), b);
}

// A module_load with a new module pointer and name.
void module_load(ByteWriter& w, bool first, uint64_t module, const std::string& name, uint64_t text,
                 uint64_t size) {
  ByteWriter b;
  event_prefix(b, first);
  b.varint(0);
  b.varint(module);
  b.varint(0);
  b.str(name);
  b.varint(text);
  b.varint(size);
  b.varint(0);
  b.varint(0);
  b.u8(0);
  record(w, event_tag(kModuleLoad), b);
}

// A vmlinux symbol; the chunk's first defines the empty module name, string entry 1.
void symbol(ByteWriter& w, bool first, int64_t addr_delta, const std::string& name) {
  ByteWriter b;
  b.svarint(addr_delta);
  b.u8('t');
  b.str(name);
  b.varint(first ? 0 : 1);
  if (first) b.str("");
  record(w, trace::kRecSymbol, b);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  std::filesystem::create_directories(dir);

  // The same 256-frame stack, defined again and again: a table that keeps each definition
  // holds 4 KiB per 260 bytes of records.
  {
    BombWriter t;
    for (int c = 0; c < 40; c++)
      t.chunk([](ByteWriter& w) {
        ByteWriter b;
        b.varint(trace::kMaxFrames);
        b.varint(0xffffffff81000000);
        for (size_t i = 1; i < trace::kMaxFrames; i++) b.svarint(0);
        while (w.size() < kChunkRaw) record(w, trace::kRecStack, b);
      });
    t.save(dir + "/bomb-stacks.mrtrace");
  }
  // 1 GiB of one symbol given again and again: a reader that decompresses it all, keeping
  // each copy, needs 13 GiB.
  {
    BombWriter t;
    for (int c = 0; c < 256; c++)
      t.chunk([](ByteWriter& w) {
        for (int i = 0; w.size() < kChunkRaw; i++) symbol(w, i == 0, 0, "f");
      });
    t.save(dir + "/bomb-decompress.mrtrace");
  }
  // A symbol before every event, each below the last: a table sorted again before each event
  // costs O(n^2 log n).
  {
    BombWriter t;
    t.chunk([](ByteWriter& w) {
      for (int i = 0; w.size() < kChunkRaw / 4; i++) {
        symbol(w, i == 0, -16, "f");
        // values: 1 the module, 2 the caller
        module_get(w, i == 0, i == 0, i == 0 ? 0 : 1, 0xffffffffc0000000, i == 0 ? 0 : 2, 0);
      }
    });
    t.save(dir + "/bomb-symbol-sort.mrtrace");
  }
  // The same module loaded again and again (each load closes the last), then gets whose vmlinux
  // caller ips must be named: a scan of every load per address is O(loads x addresses).
  {
    BombWriter t;
    t.chunk([](ByteWriter& w) {
      ByteWriter b;
      for (int i = 0; w.size() < kChunkRaw / 2; i++) {
        event_prefix(b, i == 0);
        b.varint(i == 0 ? 0 : 1);
        if (i == 0) b.varint(0xffffffffc0001000);
        b.varint(i == 0 ? 0 : 1);
        if (i == 0) b.str("m");
        b.varint(0xffffffffc0002000);
        b.varint(0x1000);
        b.varint(0);
        b.varint(0);
        b.u8(0);
        record(w, event_tag(kModuleLoad), b);
        b.clear();
      }
      // values: 1 the module, 2 the caller
      for (int i = 0; i < 50000; i++)
        module_get(w, false, i == 0, 1, 0, i == 0 ? 0 : 2, 0xffffffff81000010);
    });
    t.save(dir + "/bomb-module-scan.mrtrace");
  }
  // Many modules loaded at once, at distinct pointers and text, each followed by a get from its
  // own text: rebuilding the analyzer's range index (or scanning every module) per load, or
  // walking the live loads to name each site as of when it was seen, is O(loads^2).
  {
    BombWriter t;
    uint64_t n = 0;
    for (int c = 0; c < 2; c++)
      t.chunk([&](ByteWriter& w) {
        for (int i = 0; i < 15000; i++, n++) {  // 3 values, 1 string a round: within 65536
          uint64_t ptr = 0xffffffffa0000000 + n * 0x1000;
          uint64_t text = 0xffffffffc0000000 + n * 0x1000;
          module_load(w, i == 0, ptr, "m" + std::to_string(n), text, 0x800);
          module_get(w, false, i == 0, 0, ptr, 0, text + 0x10);
        }
      });
    t.save(dir + "/bomb-module-loads.mrtrace");
  }
  return 0;
}
