// SPDX-License-Identifier: GPL-2.0-only
//
// The trace file: the contract between the recorder (userspace/loader), the readers
// (report, dump, info, export) and the synthetic generator. Format: docs/trace-format.md.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "events/source.h"

namespace modrace {

// Writes a trace file. Crash-consistent: everything before the last flush() (and every completed
// chunk, which the writer closes on its own as it fills) is readable even if the process is then
// killed or the machine loses power. Not thread-safe: one thread writes.
class TraceWriter {
 public:
  // Creates/truncates `path` ("-" is not allowed), mode 0600. Throws modrace::Error on failure.
  static std::unique_ptr<TraceWriter> create(const std::string& path, const TraceMeta& meta);
  virtual ~TraceWriter() = default;

  // Appends an event; its stack (if any) is looked up in `stacks` and written once per file.
  virtual void write(const Event& ev, const StackTable& stacks) = 0;
  // Kernel symbols: the kallsyms snapshot at start, then each module's symbols when captured,
  // after its module_load event (they belong to that load; its text ranges are in the event).
  virtual void add_symbols(std::span<const KernelSymbol> syms) = 0;
  // Latest drop counters (cumulative); the last value written wins.
  virtual void set_drops(const DropCounters& drops) = 0;
  // Ends the current chunk and makes it durable.
  virtual void flush() = 0;
  // Writes the trailer (final drops, event count) and closes. Idempotent.
  virtual void close() = 0;
  virtual uint64_t events_written() const = 0;
  virtual uint64_t bytes_written() const = 0;
};

// A trace file as an event source, with what only a file knows (for `modrace info`).
class TraceReader : public EventSource {
 public:
  virtual uint16_t version_major() const = 0;
  virtual uint16_t version_minor() const = 0;
  virtual uint64_t file_size() const = 0;
  // True once the end block (written by close()) was read.
  virtual bool complete() const = 0;
  // Event count the writer recorded in the end block (0 before it is read).
  virtual uint64_t end_event_count() const = 0;
};
// Opens a trace file for streaming reading. Throws modrace::Error ("FILE: <what> at offset N")
// on a bad header; a bad or truncated tail ends the stream and sets meta().truncated instead.
// Memory stays bounded by the stack, symbol and per-chunk intern tables, not by trace length.
std::unique_ptr<TraceReader> open_trace(const std::string& path);

}  // namespace modrace
