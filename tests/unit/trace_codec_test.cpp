// SPDX-License-Identifier: GPL-2.0-only
//
// The trace format's byte-level pieces (docs/trace-format.md): CRC-32 as zlib and PNG define it,
// and LEB128 varints of every length, read back exactly, with overlong and cut ones refused.
#include <gtest/gtest.h>

#include <cstring>

#include "events/error.h"
#include "trace/codec.h"

using namespace modrace::trace;

namespace {
std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST(TraceCodec, Crc32IsTheStandardOne) {
  EXPECT_EQ(crc32(bytes("123456789")), 0xCBF43926u);  // the CRC-32 check value
  EXPECT_EQ(crc32(bytes("")), 0u);
  std::string big(3 << 20, 'x');
  big[12345] = 'y';
  EXPECT_NE(crc32(bytes(big)), crc32(bytes(std::string(3 << 20, 'x'))));
}

TEST(TraceCodec, VarintsOfEveryLengthRoundTrip) {
  const uint64_t values[] = {0,          1,          0x7f,       0x80, 0x3fff, 0x4000,
                             1ull << 35, 1ull << 56, UINT64_MAX, 300,  127};
  ByteWriter w;
  for (uint64_t v : values) w.varint(v);
  w.svarint(-1);
  w.svarint(INT64_MIN);
  const std::string& buf = w.data();
  ByteReader r(bytes(buf));
  for (uint64_t v : values) EXPECT_EQ(r.varint(), v);
  EXPECT_EQ(r.svarint(), -1);
  EXPECT_EQ(r.svarint(), INT64_MIN);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.varint(), 0u);  // past the end of a record: the default
}

TEST(TraceCodec, BadVarintsAreCorruption) {
  std::string cut = "\x80\x80";  // continues past the end
  ByteReader a(bytes(cut));
  EXPECT_THROW(a.varint(), CorruptData);
  std::string overlong(11, '\x80');
  ByteReader b(bytes(overlong));
  EXPECT_THROW(b.varint(), CorruptData);
  std::string overflow = std::string(9, '\xff') + "\x02";  // bit 64 set
  ByteReader c(bytes(overflow));
  EXPECT_THROW(c.varint(), CorruptData);
}
