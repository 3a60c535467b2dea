// SPDX-License-Identifier: GPL-2.0-only
//
// The trace writer. Records accumulate in an in-memory chunk; a full chunk (or flush()) is
// compressed and appended to the file with one write(2), so a reader always finds whole blocks
// up to the last one the kernel got. Repeated values (tasks, lock contexts, module pointers,
// caller ips, names) are interned per chunk, so a chunk decodes on its own and nothing but the
// stack table carries state across chunks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>

#include <fmt/format.h>
#include <zstd.h>

#include "events/error.h"
#include "trace/codec.h"
#include "trace/format.h"
#include "trace/trace_file.h"

namespace modrace {

namespace {

using trace::ByteWriter;

constexpr int kZstdLevel = 3;  // fast enough for the recorder, most of the gain of higher levels

void encode_meta(ByteWriter& w, const TraceMeta& m) {
  auto s = [&](const std::string& v) {
    w.str(std::string_view(v).substr(0, trace::kMaxStringLen));
  };
  s(m.kernel_release);
  s(m.hostname);
  s(m.modrace_version);
  w.varint(static_cast<uint64_t>(m.lock_provider));
  size_t n = std::min(m.features.size(), trace::kMaxFeatures);
  w.varint(n);
  for (size_t i = 0; i < n; i++) s(m.features[i]);
  w.varint(m.start_ts_ns);
  w.varint(m.start_realtime_ns);
}

void encode_drops(ByteWriter& w, const DropCounters& d) {
  w.varint(d.by_cause.size());
  for (uint64_t v : d.by_cause) w.varint(v);
}

class FileTraceWriter final : public TraceWriter {
 public:
  FileTraceWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
    cctx_ = ZSTD_createCCtx();
    if (!cctx_) throw Error(path_ + ": cannot create zstd context");
  }
  ~FileTraceWriter() override {
    try {
      close();
    } catch (...) {
      // A destructor cannot report; callers who care call close() themselves.
    }
    if (fd_ >= 0) ::close(fd_);
    ZSTD_freeCCtx(cctx_);
  }

  void start(const TraceMeta& meta) {
    ByteWriter hdr;
    hdr.raw(std::string_view(trace::kMagic, 4));
    hdr.le32(trace::kByteOrderMark);
    hdr.le16(trace::kVersionMajor);
    hdr.le16(trace::kVersionMinor);
    hdr.le32(trace::kFileHeaderSize);
    write_all(hdr.data());
    ByteWriter body;
    encode_meta(body, meta);
    write_block(trace::kBlockMeta, body.data(), false);
    if (meta.drops.total() != 0 || meta.drops.informational() != 0) set_drops(meta.drops);
  }

  void write(const Event& ev, const StackTable& stacks) override {
    check_open();
    StackId sid = 0;
    if (&stacks != sid_table_) {  // another table: its ids mean other stacks
      sid_table_ = &stacks;
      sid_of_.clear();
    }
    if (ev.stack < sid_of_.size()) sid = sid_of_[ev.stack];
    if (ev.stack != 0 && sid == 0) {
      auto frames = stacks.frames(ev.stack);
      if (frames.size() > trace::kMaxFrames) frames = frames.first(trace::kMaxFrames);
      sid = file_stacks_.intern(frames);
      if (ev.stack >= sid_of_.size()) sid_of_.resize(ev.stack + 1);
      sid_of_[ev.stack] = sid;
      if (sid != 0 && sid >= stacks_written_) {
        // A stack goes into the file once, just before the first event that uses it.
        ByteWriter& b = body_;
        b.clear();
        b.varint(frames.size());
        uint64_t prev = 0;
        for (size_t i = 0; i < frames.size(); i++) {
          if (i == 0)
            b.varint(frames[0]);
          else
            b.svarint(static_cast<int64_t>(frames[i] - prev));
          prev = frames[i];
        }
        add_record(trace::kRecStack, b);
        stacks_written_ = sid + 1;
      }
    }
    ByteWriter& b = body_;
    b.clear();
    b.svarint(static_cast<int64_t>(ev.ts_ns - prev_ts_));
    prev_ts_ = ev.ts_ns;
    b.varint(ev.cpu);
    task_ref(b, ev);
    b.varint(sid);
    std::visit([&](const auto& p) { encode_payload(b, p); }, ev.data);
    add_record(trace::kRecEventBase + static_cast<uint32_t>(ev.kind), b);
    events_++;
    maybe_close_chunk();
  }

  void add_symbols(std::span<const KernelSymbol> syms) override {
    check_open();
    for (const auto& s : syms) {
      ByteWriter& b = body_;
      b.clear();
      b.svarint(static_cast<int64_t>(s.addr - prev_sym_addr_));
      prev_sym_addr_ = s.addr;
      b.u8(static_cast<uint8_t>(s.type));
      b.str(clip(s.name));
      string_ref(b, s.module);
      b.varint(s.size);
      add_record(trace::kRecSymbol, b);
      maybe_close_chunk();
    }
  }

  void set_drops(const DropCounters& drops) override {
    drops_ = drops;
    drops_set_ = true;
    drops_dirty_ = true;
  }

  void flush() override {
    check_open();
    close_chunk();
    if (::fdatasync(fd_) != 0 && errno != EINVAL) fail("fdatasync");
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    close_chunk();
    ByteWriter b;
    b.varint(events_);
    encode_drops(b, drops_);
    write_block(trace::kBlockEnd, b.data(), false);
    if (::fdatasync(fd_) != 0 && errno != EINVAL) fail("fdatasync");
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("close");
  }

  uint64_t events_written() const override { return events_; }
  uint64_t bytes_written() const override { return bytes_; }

 private:
  static std::string_view clip(std::string_view s) { return s.substr(0, trace::kMaxStringLen); }

  void check_open() const {
    if (closed_) throw Error(path_ + ": write after close");
  }
  [[noreturn]] void fail(const char* what) const {
    throw Error(fmt::format("{}: {}: {}", path_, what, std::strerror(errno)));
  }

  void write_all(std::string_view data) {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("write");
      }
      p += n;
      left -= static_cast<size_t>(n);
      bytes_ += static_cast<uint64_t>(n);
    }
  }

  void write_block(uint16_t type, const std::string& raw, bool compress) {
    std::string_view stored = raw;
    uint16_t flags = 0;
    if (compress) {
      zbuf_.resize(ZSTD_compressBound(raw.size()));
      size_t n =
          ZSTD_compressCCtx(cctx_, zbuf_.data(), zbuf_.size(), raw.data(), raw.size(), kZstdLevel);
      if (ZSTD_isError(n)) throw Error(fmt::format("{}: zstd: {}", path_, ZSTD_getErrorName(n)));
      stored = std::string_view(zbuf_.data(), n);
      flags |= trace::kFlagZstd;
    }
    ByteWriter out;
    out.le16(type);
    out.le16(flags);
    out.le32(static_cast<uint32_t>(stored.size()));
    out.le32(static_cast<uint32_t>(raw.size()));
    out.le32(trace::crc32({reinterpret_cast<const uint8_t*>(stored.data()), stored.size()}));
    out.raw(stored);
    // One write per block: a crash leaves whole blocks plus at most one torn tail.
    write_all(out.data());
  }

  void add_record(uint32_t tag, const ByteWriter& body) {
    chunk_.varint(tag);
    chunk_.varint(body.size());
    chunk_.raw(body.data());
  }

  void maybe_close_chunk() {
    if (chunk_.size() >= trace::kChunkTargetSize || values_.size() >= kInternSoftCap ||
        strings_.size() >= kInternSoftCap || tasks_.size() >= kInternSoftCap ||
        lock_ctxs_.size() >= kInternSoftCap)
      close_chunk();
  }

  void close_chunk() {
    if (chunk_.empty() && !drops_dirty_) return;
    if (drops_set_) {
      // Every chunk ends with the latest drop counters, so a killed writer still leaves them.
      ByteWriter b;
      encode_drops(b, drops_);
      add_record(trace::kRecDrops, b);
      drops_dirty_ = false;
    }
    write_block(trace::kBlockChunk, chunk_.data(), true);
    chunk_.clear();
    values_.clear();
    strings_.clear();
    tasks_.clear();
    task_of_tid_.clear();
    lock_ctxs_.clear();
    last_lock_ctx_ref_ = kNone;
    prev_ts_ = 0;
    prev_sym_addr_ = 0;
  }

  // Per-chunk interning: 0 followed by the value defines the next entry, k > 0 reuses entry k-1.
  // Returns whether the entry is new; `entry` gets its index.
  template <typename Map, typename Key>
  bool intern(ByteWriter& w, Map& map, const Key& key, uint32_t* entry = nullptr) {
    auto [it, inserted] = map.try_emplace(key, static_cast<uint32_t>(map.size()));
    w.varint(inserted ? 0 : it->second + 1);
    if (entry) *entry = it->second;
    return inserted;
  }
  void value_ref(ByteWriter& w, uint64_t v) {
    if (intern(w, values_, v)) w.varint(v);
  }
  void string_ref(ByteWriter& w, const std::string& s) {
    if (intern(w, strings_, s)) w.str(clip(s));
  }
  void task_ref(ByteWriter& w, const Event& ev) {
    // Most events come from a task already seen in this chunk: found by its tid, not by hashing
    // the whole key.
    if (auto it = task_of_tid_.find(ev.tid);
        it != task_of_tid_.end() && it->second.pid == ev.pid && it->second.comm == ev.comm) {
      w.varint(it->second.ref + 1);
      return;
    }
    key_.clear();
    key_.varint(ev.pid);
    key_.varint(ev.tid);
    key_.str(ev.comm_view());
    if (intern(w, tasks_, key_.data())) w.raw(key_.data());
    task_of_tid_[ev.tid] = {ev.pid, ev.comm, tasks_.find(key_.data())->second};
  }
  void lock_ctx_ref(ByteWriter& w, const LockContext& lc) {
    // Events in a row often carry the same context (a get and its put): its entry without a key
    // built and hashed. Equal contexts have equal keys (operator== compares what the key holds).
    if (last_lock_ctx_ref_ != kNone && lc == last_lock_ctx_) {
      w.varint(last_lock_ctx_ref_ + 1);
      return;
    }
    key_.clear();
    key_.varint(lc.preempt_count);
    key_.varint(lc.rcu_depth);
    key_.u8((lc.irqs_disabled ? 1 : 0) | (lc.in_interrupt ? 2 : 0) | (lc.truncated ? 4 : 0));
    key_.u8(static_cast<uint8_t>(lc.provider));
    auto held = lc.held();
    key_.u8(static_cast<uint8_t>(held.size()));
    for (const auto& l : held) {
      key_.varint(l.addr);
      key_.varint(l.acquire_ip);
      key_.u8(static_cast<uint8_t>(l.kind));
      key_.varint(l.class_key);
    }
    for (const auto& l : held) key_.u8(l.flags);  // since 1.2
    if (intern(w, lock_ctxs_, key_.data(), &last_lock_ctx_ref_)) w.raw(key_.data());
    last_lock_ctx_ = lc;
  }

  void encode_payload(ByteWriter& b, const ModuleLoad& p) {
    value_ref(b, p.module);
    string_ref(b, p.name);
    b.varint(p.core_text_start);
    b.varint(p.core_text_size);
    b.varint(p.init_text_start);
    b.varint(p.init_text_size);
    b.u8(p.preexisting ? 1 : 0);
  }
  void encode_payload(ByteWriter& b, const ModuleStateChange& p) {
    value_ref(b, p.module);
    b.u8(static_cast<uint8_t>(p.state));
  }
  void encode_payload(ByteWriter& b, const ModuleFree& p) { value_ref(b, p.module); }
  void encode_payload(ByteWriter& b, const DeleteModule& p) {
    b.u8(static_cast<uint8_t>(p.phase));
    string_ref(b, p.name);
    b.varint(p.flags);
    b.svarint(p.ret);
  }
  void encode_payload(ByteWriter& b, const RefcountOp& p) {
    value_ref(b, p.module);
    value_ref(b, p.caller_ip);
    b.svarint(p.refcount);
    b.u8(p.success ? 1 : 0);
    lock_ctx_ref(b, p.locks);
    if (p.widen != WidenMark::none) {  // format 1.5; absent means none
      b.u8(static_cast<uint8_t>(p.widen));
      b.varint(p.widen_us);
    }
  }
  void encode_payload(ByteWriter& b, const DriverOp& p) {
    b.u8(static_cast<uint8_t>(p.phase));
    value_ref(b, p.driver);
    value_ref(b, p.owner);
    b.svarint(p.ret);
    string_ref(b, p.name);
    string_ref(b, p.bus);
    lock_ctx_ref(b, p.locks);
  }
  void encode_payload(ByteWriter& b, const UnloadLock& p) {
    value_ref(b, p.lock);
    value_ref(b, p.ip);
    b.u8(static_cast<uint8_t>(p.kind));
    value_ref(b, p.class_key);
  }
  void encode_payload(ByteWriter& b, const UnloadRcuSync& p) { value_ref(b, p.ip); }

  static constexpr size_t kInternSoftCap = trace::kMaxInternEntries / 2;

  std::string path_;
  int fd_;
  ZSTD_CCtx* cctx_ = nullptr;
  std::string zbuf_;
  ByteWriter chunk_, body_, key_;
  std::unordered_map<uint64_t, uint32_t> values_;
  std::unordered_map<std::string, uint32_t> strings_, tasks_, lock_ctxs_;
  // The last context written and its lock_ctxs_ entry in this chunk (kNone: none yet).
  static constexpr uint32_t kNone = UINT32_MAX;
  LockContext last_lock_ctx_;
  uint32_t last_lock_ctx_ref_ = kNone;
  uint64_t prev_ts_ = 0, prev_sym_addr_ = 0;
  // The tasks_ entries of this chunk by tid.
  struct TaskRef {
    uint32_t pid;
    Comm comm;
    uint32_t ref;
  };
  std::unordered_map<uint32_t, TaskRef> task_of_tid_;
  StackTable file_stacks_;
  StackId stacks_written_ = 1;
  // The file's stack id of each id of the caller's table (sid_table_), 0 not known yet: a
  // table's ids always name the same frames, so each is interned here once.
  const StackTable* sid_table_ = nullptr;
  std::vector<StackId> sid_of_;
  DropCounters drops_;
  bool drops_set_ = false, drops_dirty_ = false, closed_ = false;
  uint64_t events_ = 0, bytes_ = 0;
};

}  // namespace

std::unique_ptr<TraceWriter> TraceWriter::create(const std::string& path, const TraceMeta& meta) {
  if (path.empty() || path == "-") throw Error("trace output must be a file, not stdout");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(fmt::format("{}: {}", path, std::strerror(errno)));
  // A trace holds kernel addresses and symbol tables: owner-only, also when it replaces an older
  // file (a file that is not ours keeps its mode: fchmod fails and the write still goes on).
  (void)::fchmod(fd, 0600);
  auto w = std::make_unique<FileTraceWriter>(path, fd);
  w->start(meta);
  return w;
}

}  // namespace modrace
