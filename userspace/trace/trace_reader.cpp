// SPDX-License-Identifier: GPL-2.0-only
//
// The streaming trace reader: records decoded lazily, one block at a time, as next() asks for
// events (the blocks themselves read, checked and decompressed a few ahead by block_reader.h).
// Every length is checked against the file size and the caps in format.h before anything is
// allocated. A bad header throws; anything wrong after the meta block ends the stream and marks it
// truncated, because the events before it are still worth analysing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "events/error.h"
#include "trace/block_reader.h"
#include "trace/codec.h"
#include "trace/format.h"
#include "trace/trace_file.h"

namespace modrace {

namespace {

using trace::ByteReader;
using trace::CorruptData;

struct Task {
  uint32_t pid = 0, tid = 0;
  Comm comm{};
};

template <typename E>
E checked_enum(uint64_t v, uint64_t max, const char* what) {
  if (v > max) throw CorruptData(fmt::format("bad {} {}", what, v));
  return static_cast<E>(v);
}

uint32_t to_u32(uint64_t v, const char* what) {
  if (v > UINT32_MAX) throw CorruptData(fmt::format("{} out of range", what));
  return static_cast<uint32_t>(v);
}

class FileTraceReader final : public TraceReader {
 public:
  FileTraceReader(std::string path, int fd, uint64_t size)
      : path_(path), size_(size), blocks_(std::move(path), fd, size) {}

  void open() {
    if (size_ == 0) fatal("empty file", 0);
    uint8_t hdr[trace::kFileHeaderSize];
    size_t got = std::min<uint64_t>(size_, sizeof hdr);
    blocks_.read_at(0, hdr, got);
    if (std::memcmp(hdr, trace::kMagic, std::min<size_t>(got, 4)) != 0)
      fatal("not a modrace trace (bad magic)", 0);
    if (got < sizeof hdr) fatal("truncated header", size_);
    ByteReader r({hdr + 4, sizeof hdr - 4});
    uint32_t bom = r.le32();
    if (bom == trace::kByteOrderMarkSwapped)
      fatal("trace written in the other byte order (not supported)", 4);
    if (bom != trace::kByteOrderMark) fatal("bad byte-order mark", 4);
    major_ = r.le16();
    minor_ = r.le16();
    if (major_ != trace::kVersionMajor)
      fatal(fmt::format("unsupported trace format version {}.{} (this modrace reads {}.x)", major_,
                        minor_, trace::kVersionMajor),
            8);
    uint32_t header_size = r.le32();
    if (header_size < trace::kFileHeaderSize || header_size > size_)
      fatal(fmt::format("bad header size {}", header_size), 12);
    blocks_.seek(header_size);

    // The meta block must come first and be intact: without it nothing can be trusted.
    trace::RawBlock& b = block_;
    blocks_.next(b);
    if (!b.why.empty()) throw Error(fmt::format("{}: meta block: {}", path_, b.why));
    if (b.type != trace::kBlockMeta) fatal("first block is not the meta block", b.offset);
    try {
      decode_meta(ByteReader(b.data));
    } catch (const CorruptData& e) {
      fatal(fmt::format("corrupt meta block ({})", e.what()), b.offset);
    }
    blocks_.prefetch();
  }

  bool next(Event& ev) override {
    for (;;) {
      if (!records_.at_end()) {
        try {
          if (decode_record(ev)) {
            returned_++;
            return true;
          }
        } catch (const CorruptData& e) {
          truncate(fmt::format("corrupt chunk ({}) at offset {}", e.what(), chunk_offset_),
                   chunk_offset_);
          return false;
        }
        continue;
      }
      if (done_) return false;
      if (!load_next_chunk()) {
        done_ = true;
        finalize_symbols();
        return false;
      }
    }
  }

  const TraceMeta& meta() const override { return meta_; }
  const StackTable& stacks() const override { return stacks_; }
  const SymbolTable& symbols() const override { return symbols_; }
  SymbolEpoch event_epoch() const override { return event_epoch_; }
  uint16_t version_major() const override { return major_; }
  uint16_t version_minor() const override { return minor_; }
  uint64_t file_size() const override { return size_; }
  bool complete() const override { return saw_end_; }
  uint64_t end_event_count() const override { return end_events_; }

 private:
  [[noreturn]] void fatal(const std::string& what, uint64_t off) const {
    throw Error(fmt::format("{}: {} at offset {}", path_, what, off));
  }

  void truncate(std::string reason, uint64_t off) {
    records_ = ByteReader({});
    done_ = true;
    meta_.truncated = true;
    meta_.truncated_at_offset = off;
    meta_.truncation_reason = std::move(reason);
    finalize_symbols();
  }

  // Positions records_ on the next chunk's records; false at the end of the stream.
  bool load_next_chunk() {
    for (;;) {
      trace::RawBlock& b = block_;
      blocks_.next(b);
      const uint64_t off = b.offset;
      if (b.eof) {
        truncate(fmt::format("trace not closed by its writer (no end block) at offset {}", off),
                 off);
        return false;
      }
      if (!b.why.empty()) {
        truncate(std::move(b.why), off);
        return false;
      }
      if (b.type == trace::kBlockEnd) {
        try {
          ByteReader r(b.data);
          end_events_ = r.varint();
          decode_drops(r);
        } catch (const CorruptData& e) {
          truncate(fmt::format("corrupt end block ({}) at offset {}", e.what(), off), off);
          return false;
        }
        saw_end_ = true;
        return false;
      }
      if (b.type != trace::kBlockChunk) continue;  // meta repeated or a newer block type
      chunk_offset_ = off;
      records_ = ByteReader(b.data);
      values_.clear();
      strings_.clear();
      tasks_.clear();
      lock_ctxs_.clear();
      prev_ts_ = 0;
      prev_sym_addr_ = 0;
      return true;
    }
  }

  void finalize_symbols() { symbols_.finalize(); }

  void decode_meta(ByteReader r) {
    meta_.kernel_release = r.str(trace::kMaxStringLen);
    meta_.hostname = r.str(trace::kMaxStringLen);
    meta_.modrace_version = r.str(trace::kMaxStringLen);
    meta_.lock_provider = checked_enum<LockProvider>(r.varint(), 2, "lock provider");
    uint64_t n = r.varint();
    if (n > trace::kMaxFeatures || n > r.remaining()) throw CorruptData("too many features");
    for (uint64_t i = 0; i < n; i++) meta_.features.push_back(r.str(trace::kMaxStringLen));
    meta_.start_ts_ns = r.varint();
    meta_.start_realtime_ns = r.varint();
  }

  void decode_drops(ByteReader& r) {
    uint64_t n = r.varint();
    if (n > r.remaining()) throw CorruptData("bad drop counter count");
    DropCounters d;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t v = r.varint();
      if (i < d.by_cause.size()) d.by_cause[i] = v;  // causes from a newer writer are ignored
    }
    meta_.drops = d;
  }

  // Decodes one record; true when it produced an event.
  bool decode_record(Event& ev) {
    uint64_t tag = records_.varint();
    uint64_t len = records_.varint();
    if (len > records_.remaining()) throw CorruptData("record runs past its chunk");
    ByteReader r = records_.sub(static_cast<size_t>(len));
    switch (tag) {
      case trace::kRecSymbol: {
        KernelSymbol s;
        s.addr = prev_sym_addr_ + static_cast<uint64_t>(r.svarint());
        prev_sym_addr_ = s.addr;
        s.type = static_cast<char>(r.u8());
        s.name = r.str(trace::kMaxStringLen);
        s.module = string_ref(r);
        if (r.remaining()) s.size = r.varint();  // format 1.2
        symbols_.add(std::move(s));
        return false;
      }
      case trace::kRecModuleRange: {  // format 1.1 and older; since 1.2 module_load carries it
        std::string name = string_ref(r);
        uint64_t start = r.varint();
        uint64_t size = r.varint();
        if (!symbols_.add_module_range(name, start, size))
          throw CorruptData("too many text ranges for one module");
        return false;
      }
      case trace::kRecStack: {
        uint64_t n = r.varint();
        if (n > trace::kMaxFrames || n > r.remaining()) throw CorruptData("bad frame count");
        frames_.clear();
        uint64_t prev = 0;
        for (uint64_t i = 0; i < n; i++) {
          uint64_t f = i == 0 ? r.varint() : prev + static_cast<uint64_t>(r.svarint());
          frames_.push_back(f);
          prev = f;
        }
        if (frames_.empty()) throw CorruptData("empty stack");
        stacks_.define(frames_);
        return false;
      }
      case trace::kRecDrops:
        decode_drops(r);
        return false;
      default:
        break;
    }
    if (tag <= trace::kRecEventBase || tag >= trace::kRecEventBase + kEventKindMax)
      return false;  // a record type from a newer writer
    decode_event(static_cast<EventKind>(tag - trace::kRecEventBase), r, ev);
    return true;
  }

  void decode_event(EventKind kind, ByteReader& r, Event& ev) {
    // Symbols that arrived before this event must be visible to whoever looks at it.
    finalize_symbols();
    // Every field is set below; the payload is replaced, or for refcount events (nearly all of
    // them) filled in place: no ~400-byte Event cleared and copied twice per event.
    ev.kind = kind;
    ev.ts_ns = prev_ts_ + static_cast<uint64_t>(r.svarint());
    prev_ts_ = ev.ts_ns;
    ev.cpu = to_u32(r.varint(), "cpu");
    const Task& t = task_ref(r);
    ev.pid = t.pid;
    ev.tid = t.tid;
    ev.comm = t.comm;
    uint64_t sid = r.varint();
    if (sid >= stacks_.next_id()) throw CorruptData("event uses an undefined stack");
    ev.stack = static_cast<StackId>(sid);
    switch (kind) {
      case EventKind::module_load: {
        ModuleLoad p;
        p.module = value_ref(r);
        p.name = string_ref(r);
        p.core_text_start = r.varint();
        p.core_text_size = r.varint();
        p.init_text_start = r.varint();
        p.init_text_size = r.varint();
        p.preexisting = r.u8() != 0;
        ev.data = std::move(p);
        break;
      }
      case EventKind::module_state: {
        ModuleStateChange p;
        p.module = value_ref(r);
        p.state = checked_enum<ModuleState>(r.u8(), 3, "module state");
        ev.data = p;
        break;
      }
      case EventKind::module_free:
        ev.data = ModuleFree{value_ref(r)};
        break;
      case EventKind::delete_module: {
        DeleteModule p;
        p.phase = checked_enum<Phase>(r.u8(), 1, "phase");
        p.name = string_ref(r);
        p.flags = to_u32(r.varint(), "flags");
        p.ret = r.svarint();
        ev.data = std::move(p);
        break;
      }
      case EventKind::try_module_get:
      case EventKind::module_get:
      case EventKind::module_put: {
        RefcountOp* p = std::get_if<RefcountOp>(&ev.data);
        if (!p) p = &ev.data.emplace<RefcountOp>();
        p->module = value_ref(r);
        p->caller_ip = value_ref(r);
        int64_t rc = r.svarint();
        if (rc < INT32_MIN || rc > INT32_MAX) throw CorruptData("refcount out of range");
        p->refcount = static_cast<int32_t>(rc);
        p->success = r.u8() != 0;
        p->locks = lock_ctx_ref(r);
        p->widen = WidenMark::none;
        p->widen_us = 0;
        if (r.remaining()) {  // format 1.5
          p->widen = checked_enum<WidenMark>(r.u8(), 2, "widen mark");
          p->widen_us = static_cast<uint16_t>(std::min<uint64_t>(r.varint(), UINT16_MAX));
        }
        break;
      }
      case EventKind::driver_register:
      case EventKind::driver_unregister: {
        DriverOp p;
        p.phase = checked_enum<Phase>(r.u8(), 1, "phase");
        p.driver = value_ref(r);
        p.owner = value_ref(r);
        int64_t ret = r.svarint();
        if (ret < INT32_MIN || ret > INT32_MAX) throw CorruptData("ret out of range");
        p.ret = static_cast<int32_t>(ret);
        p.name = string_ref(r);
        p.bus = string_ref(r);
        p.locks = lock_ctx_ref(r);
        ev.data = std::move(p);
        break;
      }
      case EventKind::unload_lock: {
        UnloadLock p;
        p.lock = value_ref(r);
        p.ip = value_ref(r);
        p.kind = lock_kind(r.u8());
        p.class_key = value_ref(r);
        ev.data = p;
        break;
      }
      case EventKind::unload_rcu_sync:
        ev.data = UnloadRcuSync{value_ref(r)};
        break;
    }
    event_epoch_ = symbols_.note(ev);
  }

  static LockKind lock_kind(uint64_t v) {
    if (v < 1 || v > 10) throw CorruptData(fmt::format("bad lock kind {}", v));
    return static_cast<LockKind>(v);
  }

  // Per-chunk intern tables: 0 defines the next entry inline, k > 0 refers to entry k-1.
  template <typename T, typename Def>
  const T& intern_ref(ByteReader& r, std::vector<T>& table, Def&& define) {
    uint64_t ref = r.varint();
    if (ref == 0) {
      if (table.size() >= trace::kMaxInternEntries) throw CorruptData("intern table overflow");
      table.push_back(define());
      return table.back();
    }
    if (ref > table.size()) throw CorruptData("reference to an undefined entry");
    return table[ref - 1];
  }
  uint64_t value_ref(ByteReader& r) {
    return intern_ref(r, values_, [&] { return r.varint(); });
  }
  const std::string& string_ref(ByteReader& r) {
    return intern_ref(r, strings_, [&] { return r.str(trace::kMaxStringLen); });
  }
  const Task& task_ref(ByteReader& r) {
    return intern_ref(r, tasks_, [&] {
      Task t;
      t.pid = to_u32(r.varint(), "pid");
      t.tid = to_u32(r.varint(), "tid");
      std::string comm = r.str(trace::kMaxStringLen);
      std::memcpy(t.comm.data(), comm.data(), std::min(comm.size(), t.comm.size() - 1));
      return t;
    });
  }
  const LockContext& lock_ctx_ref(ByteReader& r) {
    return intern_ref(r, lock_ctxs_, [&] {
      LockContext lc;
      lc.preempt_count = to_u32(r.varint(), "preempt count");
      uint64_t rcu = r.varint();
      if (rcu > UINT16_MAX) throw CorruptData("rcu depth out of range");
      lc.rcu_depth = static_cast<uint16_t>(rcu);
      uint8_t flags = r.u8();
      lc.irqs_disabled = flags & 1;
      lc.in_interrupt = flags & 2;
      lc.truncated = flags & 4;
      lc.provider = checked_enum<LockProvider>(r.u8(), 2, "lock provider");
      uint8_t n = r.u8();
      if (n > kMaxHeldLocks) throw CorruptData("too many held locks");
      for (int i = 0; i < n; i++) {
        HeldLock l;
        l.addr = r.varint();
        l.acquire_ip = r.varint();
        l.kind = lock_kind(r.u8());
        l.class_key = r.varint();
        lc.locks[i] = l;
      }
      // Since 1.3: each lock's flags (PREEMPT_RT, irq, bh), after the locks.
      if (minor_ >= trace::kMinorHeldLockFlags)
        for (int i = 0; i < n; i++) lc.locks[i].flags = r.u8() & kHeldFlagsKnown;
      lc.nr_locks = n;
      return lc;
    });
  }

  std::string path_;
  uint64_t size_;
  uint16_t major_ = 0, minor_ = 0;
  trace::BlockReader blocks_;
  trace::RawBlock block_;  // the chunk records_ reads
  ByteReader records_{{}};
  uint64_t chunk_offset_ = 0;
  bool done_ = false, saw_end_ = false;
  uint64_t end_events_ = 0, returned_ = 0;
  std::vector<uint64_t> values_;
  std::vector<std::string> strings_;
  std::vector<Task> tasks_;
  std::vector<LockContext> lock_ctxs_;
  std::vector<uint64_t> frames_;
  uint64_t prev_ts_ = 0, prev_sym_addr_ = 0;
  TraceMeta meta_;
  StackTable stacks_;
  SymbolTable symbols_;
  SymbolEpoch event_epoch_ = 0;
};

}  // namespace

std::unique_ptr<TraceReader> open_trace(const std::string& path) {
  // Only regular files: a FIFO would block or be read without bound, a directory is not a
  // trace, and opening a device can itself act (a tape rewinds, a watchdog arms). So stat
  // first, and open nothing else; O_NONBLOCK and fstat cover a file swapped in between.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error(fmt::format("{}: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw Error(fmt::format("{}: not a regular file", path));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(fmt::format("{}: {}", path, std::strerror(errno)));
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(fmt::format("{}: not a regular file", path));
  }
  auto r = std::make_unique<FileTraceReader>(path, fd, static_cast<uint64_t>(st.st_size));
  r->open();
  return r;
}

}  // namespace modrace
