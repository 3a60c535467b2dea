// SPDX-License-Identifier: GPL-2.0-only
//
// Constants of the trace file format. docs/trace-format.md is the normative description; keep
// the two in step. Values are never reused: new block types, record tags and fields are added,
// old ones stay.
#pragma once

#include <cstddef>
#include <cstdint>

namespace modrace::trace {

// File header: "MRTR", then kByteOrderMark in the writer's byte order (always written
// little-endian by this writer; a reader seeing it swapped knows the file came from a
// big-endian writer), major, minor, header size.
inline constexpr char kMagic[4] = {'M', 'R', 'T', 'R'};
inline constexpr uint32_t kByteOrderMark = 0x1A2B3C4D;
inline constexpr uint32_t kByteOrderMarkSwapped = 0x4D3C2B1A;
inline constexpr uint16_t kVersionMajor = 1;  // bumped only for changes old readers cannot skip
inline constexpr uint16_t kVersionMinor = 6;  // bumped when block types, tags or fields are added
// The first minor version whose lockctx entries carry each held lock's flags (PREEMPT_RT, irq, bh).
inline constexpr uint16_t kMinorHeldLockFlags = 3;
inline constexpr size_t kFileHeaderSize = 16;

// Block header: u16 type, u16 flags, u32 stored length, u32 raw length, u32 CRC-32 of the stored
// bytes. A reader skips types it does not know.
inline constexpr size_t kBlockHeaderSize = 16;
enum BlockType : uint16_t {
  kBlockMeta = 1,   // TraceMeta, first block, never compressed
  kBlockChunk = 2,  // a sequence of records (symbols, ranges, stacks, events, drops)
  kBlockEnd = 3,    // written by close(): event count and final drops
};
enum BlockFlags : uint16_t {
  kFlagZstd = 1,  // stored bytes are one zstd frame of raw-length bytes
  kKnownFlags = kFlagZstd,
};

// Records inside a chunk: varint tag, varint body length, body. Unknown tags are skipped.
enum RecordTag : uint32_t {
  kRecSymbol = 1,
  kRecModuleRange = 2,  // written up to 1.1; read for old files
  kRecStack = 3,
  kRecDrops = 4,
  kRecEventBase = 16,  // event records are kRecEventBase + EventKind
};

// The writer closes a chunk when its raw records reach this size.
inline constexpr size_t kChunkTargetSize = 64 * 1024;

// Reader caps: far above what the writer produces, low enough that a hostile file cannot make
// the reader allocate much.
inline constexpr uint32_t kMaxBlockSize = 4 * 1024 * 1024;  // stored and raw
inline constexpr size_t kMaxStringLen = 4096;
inline constexpr size_t kMaxFrames = 256;
inline constexpr size_t kMaxInternEntries = 65536;  // per chunk and table
inline constexpr size_t kMaxFeatures = 1024;
// What all the compressed blocks of a file may decompress to, together: a fixed allowance (one
// chunk of the largest size) plus kMaxExpansion times the file's size. The writer's chunks
// expand 2 to 8 times; a zstd bomb expands thousands of times.
inline constexpr uint64_t kMaxExpansion = 64;
inline constexpr uint64_t decompressed_limit(uint64_t file_size) {
  return kMaxBlockSize + kMaxExpansion * file_size;
}

}  // namespace modrace::trace
