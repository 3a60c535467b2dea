// SPDX-License-Identifier: GPL-2.0-only
//
// The first stage of reading a trace: its blocks in file order, each checked (lengths against
// the file and the caps in format.h, flags, CRC) and decompressed. The record decoder
// (trace_reader.cpp) is the second. Once the meta block is read, prefetch() moves this stage
// to a thread of its own, a few blocks ahead, so that reading and decompressing a block
// overlaps the decoding of the one before (the hand-over is a whole block, tens of thousands
// of records, not an event).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <zstd.h>

namespace modrace::trace {

struct RawBlock {
  uint64_t offset = 0;        // of the block's header in the file
  uint16_t type = 0;          // kBlock*
  std::vector<uint8_t> data;  // the block's bytes, decompressed
  std::string why;            // not empty: the block could not be read (the text names offset)
  bool eof = false;           // the file ends at offset: no block there (why says it too)
};

class BlockReader {
 public:
  // Takes `fd` (closed on destruction). Blocks start where seek() puts the reader.
  BlockReader(std::string path, int fd, uint64_t size);
  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // Reads `len` bytes at `off` (the file header). Throws Error on a read error.
  void read_at(uint64_t off, void* buf, size_t len);
  void seek(uint64_t offset) { offset_ = offset; }
  // The next block. After one with `why` or `eof`, or the end block, there is no other.
  // Throws Error on a read error (as read_at).
  void next(RawBlock& b);
  // From now on next() hands over blocks read ahead on a thread.
  void prefetch();

 private:
  void read_block(RawBlock& b);
  void run_prefetch();
  static bool last(const RawBlock& b);

  std::string path_;
  int fd_;
  uint64_t size_;
  uint64_t offset_ = 0;
  uint64_t raw_budget_;  // bytes the remaining compressed blocks may decompress to
  ZSTD_DCtx* dctx_ = nullptr;
  std::vector<uint8_t> stored_;

  // Prefetch: blocks read ahead, in order, with the error that stopped the thread (if any).
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable ready_, space_;  // a block is ready for next(); room to read ahead
  std::deque<RawBlock> ahead_;
  std::vector<std::vector<uint8_t>> spare_;  // buffers next() handed back, to be refilled
  std::exception_ptr error_;
  bool finished_ = false, stop_ = false;
};

}  // namespace modrace::trace
