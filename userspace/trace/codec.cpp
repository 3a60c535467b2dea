// SPDX-License-Identifier: GPL-2.0-only
#include "trace/codec.h"

#include <array>

namespace modrace::trace {

namespace {
// Reflected CRC-32 (polynomial 0xEDB88320, as in zlib/PNG), table built once.
std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
}  // namespace

uint32_t crc32(std::span<const uint8_t> data) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void ByteWriter::varint(uint64_t v) {
  while (v >= 0x80) {
    buf_.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  buf_.push_back(static_cast<char>(v));
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

uint64_t ByteReader::varint() {
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
