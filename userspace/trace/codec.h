// SPDX-License-Identifier: GPL-2.0-only
//
// Byte-level building blocks of the trace format (docs/trace-format.md): LEB128 varints,
// zigzag, length-prefixed strings, little-endian fixed fields and CRC-32. Internal to
// userspace/trace; the fuzz target and tests use it to build hostile inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace modrace::trace {

// Malformed bytes inside a block. The reader turns it into a truncated stream, never lets it
// escape to the user as anything but "corrupt chunk at offset N".
class CorruptData : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

uint32_t crc32(std::span<const uint8_t> data);

class ByteWriter {
 public:
  void u8(uint8_t v) { buf_.push_back(static_cast<char>(v)); }
  // Most fields are one byte: that case inline.
  void varint(uint64_t v) {
    if (v < 0x80)
      buf_.push_back(static_cast<char>(v));
    else
      varint_long(v);
  }
  void svarint(int64_t v) { varint(zigzag(v)); }
  void str(std::string_view s);
  void le16(uint16_t v);
  void le32(uint32_t v);
  void raw(std::string_view s) { buf_.append(s); }
  size_t size() const { return buf_.size(); }
  bool empty() const { return buf_.empty(); }
  void clear() { buf_.clear(); }
  const std::string& data() const { return buf_; }

 private:
  void varint_long(uint64_t v);
  std::string buf_;
};

// Reads fields written by ByteWriter. Fields are only ever appended to a record, so reading
// past the end of a record yields the defaults (0, "") an older writer implies; a field cut in
// the middle is corruption.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}
  bool at_end() const { return pos_ >= data_.size(); }
  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  uint8_t u8();
  // Most fields are one byte: that case inline, the others (and the errors) out of line.
  uint64_t varint() {
    if (pos_ < data_.size() && data_[pos_] < 0x80) return data_[pos_++];
    return varint_long();
  }
  int64_t svarint() { return unzigzag(varint()); }
  // Rejects lengths above max_len (a sane cap) or beyond the record.
  std::string str(size_t max_len);
  // The next `len` bytes as a sub-reader (a length-prefixed record body).
  ByteReader sub(size_t len);
  uint16_t le16();
  uint32_t le32();

 private:
  uint64_t varint_long();
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace modrace::trace
