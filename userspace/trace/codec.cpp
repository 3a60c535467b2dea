// SPDX-License-Identifier: GPL-2.0-only
#include "trace/codec.h"

#include <zlib.h>

#include <algorithm>

namespace modrace::trace {

uint32_t crc32(std::span<const uint8_t> data) {
  // zlib's CRC-32 (reflected, polynomial 0xEDB88320; ~10x a byte-wise table).
  uLong c = ::crc32(0L, Z_NULL, 0);
  while (!data.empty()) {
    auto n = static_cast<uInt>(std::min<size_t>(data.size(), 1u << 30));
    c = ::crc32(c, data.data(), n);
    data = data.subspan(n);
  }
  return static_cast<uint32_t>(c);
}

void ByteWriter::varint_long(uint64_t v) {
  char b[10];  // a 64-bit value takes at most 10 bytes; appended at once
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  buf_.append(b, n);
}

void ByteWriter::str(std::string_view s) {
  varint(s.size());
  buf_.append(s);
}

void ByteWriter::le16(uint16_t v) {
  u8(v & 0xFF);
  u8(v >> 8);
}

void ByteWriter::le32(uint32_t v) {
  for (int i = 0; i < 4; i++) u8((v >> (8 * i)) & 0xFF);
}

uint8_t ByteReader::u8() {
  if (at_end()) return 0;
  return data_[pos_++];
}

uint64_t ByteReader::varint_long() {
  if (at_end()) return 0;
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at_end()) throw CorruptData("varint cut short");
    uint8_t b = data_[pos_++];
    if (shift == 63 && b > 1) throw CorruptData("varint overflows 64 bits");
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
  throw CorruptData("varint longer than 10 bytes");
}

std::string ByteReader::str(size_t max_len) {
  uint64_t len = varint();
  if (len > max_len) throw CorruptData("string longer than " + std::to_string(max_len));
  if (len > remaining()) throw CorruptData("string runs past its record");
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), len);
  pos_ += len;
  return s;
}

ByteReader ByteReader::sub(size_t len) {
  if (len > remaining()) throw CorruptData("record runs past its chunk");
  ByteReader r(data_.subspan(pos_, len));
  pos_ += len;
  return r;
}

uint16_t ByteReader::le16() {
  if (remaining() < 2) throw CorruptData("short field");
  uint16_t v = data_[pos_] | (data_[pos_ + 1] << 8);
  pos_ += 2;
  return v;
}

uint32_t ByteReader::le32() {
  if (remaining() < 4) throw CorruptData("short field");
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= static_cast<uint32_t>(data_[pos_ + i]) << (8 * i);
  pos_ += 4;
  return v;
}

}  // namespace modrace::trace
