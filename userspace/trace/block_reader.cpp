// SPDX-License-Identifier: GPL-2.0-only
#include "trace/block_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "events/error.h"
#include "trace/codec.h"
#include "trace/format.h"

namespace modrace::trace {

namespace {
// Blocks read ahead at most, and how few there are when the thread is woken to read more: it
// refills in batches, so the two threads do not wake each other at every block (a futex wake
// and a sleep per block cost ~10% of report's time). Each block is up to kChunkTargetSize bytes
// (the writer's), kMaxBlockSize at worst.
constexpr size_t kAhead = 6;
constexpr size_t kRefillAt = 2;
}  // namespace

BlockReader::BlockReader(std::string path, int fd, uint64_t size)
    : path_(std::move(path)), fd_(fd), size_(size), raw_budget_(decompressed_limit(size)) {
  dctx_ = ZSTD_createDCtx();
  if (!dctx_) {
    ::close(fd_);
    throw Error(path_ + ": cannot create zstd context");
  }
}

BlockReader::~BlockReader() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    space_.notify_one();
    thread_.join();
  }
  ::close(fd_);
  ZSTD_freeDCtx(dctx_);
}

void BlockReader::read_at(uint64_t off, void* buf, size_t len) {
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = ::pread(fd_, p, len, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw Error(fmt::format("{}: read error: {} at offset {}", path_, std::strerror(errno), off));
    if (n == 0) throw Error(fmt::format("{}: file shrank while reading at offset {}", path_, off));
    p += n;
    off += static_cast<uint64_t>(n);
    len -= static_cast<size_t>(n);
  }
}

bool BlockReader::last(const RawBlock& b) { return b.eof || !b.why.empty() || b.type == kBlockEnd; }

void BlockReader::read_block(RawBlock& b) {
  uint64_t off = offset_;
  b.offset = off;
  b.type = 0;
  b.why.clear();
  b.eof = off == size_;  // no block at all (for a stream: its writer did not close it)
  auto fail = [&](std::string why) { b.why = std::move(why); };
  if (size_ - off < kBlockHeaderSize)
    return fail(fmt::format("truncated chunk (block header cut short) at offset {}", off));
  uint8_t hdr[kBlockHeaderSize];
  read_at(off, hdr, sizeof hdr);
  ByteReader r({hdr, sizeof hdr});
  b.type = r.le16();
  uint16_t flags = r.le16();
  uint32_t stored_len = r.le32();
  uint32_t raw_len = r.le32();
  uint32_t crc = r.le32();
  if (stored_len > kMaxBlockSize || raw_len > kMaxBlockSize)
    return fail(fmt::format("corrupt chunk (block of {} bytes exceeds the limit) at offset {}",
                            std::max(stored_len, raw_len), off));
  if (stored_len > size_ - off - kBlockHeaderSize)
    return fail(fmt::format("truncated chunk at offset {}", off));
  if (flags & ~kKnownFlags)
    return fail(fmt::format("corrupt chunk (unknown flags 0x{:x}) at offset {}", flags, off));
  if (!(flags & kFlagZstd) && raw_len != stored_len)
    return fail(fmt::format("corrupt chunk (length mismatch) at offset {}", off));
  auto& stored = (flags & kFlagZstd) ? stored_ : b.data;
  stored.resize(stored_len);
  read_at(off + kBlockHeaderSize, stored.data(), stored_len);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  // Fuzzers cannot forge checksums; skipping the check lets them reach the decoders.
  if (crc32(stored) != crc)
    return fail(fmt::format("corrupt chunk (checksum mismatch) at offset {}", off));
#else
  (void)crc;
#endif
  offset_ = off + kBlockHeaderSize + stored_len;
  if (!(flags & kFlagZstd)) return;
  if (raw_len > raw_budget_)
    return fail(fmt::format(
        "corrupt chunk (decompresses past the limit of {} bytes for a file of this size) at "
        "offset {}",
        decompressed_limit(size_), off));
  raw_budget_ -= raw_len;
  b.data.resize(raw_len);
  size_t n =
      ZSTD_decompressDCtx(dctx_, b.data.data(), b.data.size(), stored_.data(), stored_.size());
  if (ZSTD_isError(n) || n != raw_len)
    return fail(fmt::format("corrupt chunk (zstd: {}) at offset {}",
                            ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch", off));
}

void BlockReader::next(RawBlock& b) {
  if (!thread_.joinable()) return read_block(b);
  std::unique_lock lock(mu_);
  ready_.wait(lock, [&] { return !ahead_.empty() || finished_; });
  if (ahead_.empty()) {
    // Nothing more was read: the thread stopped on an error, or after the last block (a caller
    // asking again gets the end of the file, as a synchronous reader past it would).
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    b = RawBlock{.offset = offset_, .eof = true};
    return;
  }
  // b's buffer goes back to the thread to be refilled: no page faults on fresh memory per block.
  if (b.data.capacity()) spare_.push_back(std::move(b.data));
  b = std::move(ahead_.front());
  ahead_.pop_front();
  if (ahead_.size() == kRefillAt) space_.notify_one();
}

void BlockReader::prefetch() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run_prefetch(); });
}

void BlockReader::run_prefetch() {
  RawBlock b;
  for (;;) {
    bool done = false;
    try {
      read_block(b);
      done = last(b);
    } catch (...) {
      std::lock_guard lock(mu_);
      error_ = std::current_exception();
      finished_ = true;
      ready_.notify_one();
      return;
    }
    std::unique_lock lock(mu_);
    if (ahead_.size() == kAhead)
      space_.wait(lock, [&] { return ahead_.size() <= kRefillAt || stop_; });
    if (stop_) return;
    ahead_.push_back(std::move(b));
    b = RawBlock{};
    if (!spare_.empty()) {
      b.data = std::move(spare_.back());
      spare_.pop_back();
    }
    finished_ = done;
    if (ahead_.size() == 1 || done)
      ready_.notify_one();  // the reader waits only when none was ready
    if (done) return;
  }
}

}  // namespace modrace::trace
