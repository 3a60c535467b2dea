// SPDX-License-Identifier: GPL-2.0-only
//
// The protocol checker. Streaming: feed events in order with consume(); memory is bounded by
// live state (module instances, outstanding references, distinct sites), not by trace length.
// No libbpf: any EventSource (live ring buffer, trace file, synthetic, test vector) drives it.
//
//   Analyzer a;
//   Event ev;
//   while (src.next(ev)) {
//     a.consume(ev, src);
//     for (auto& f : a.take_new_findings(src)) print(f);  // live: as soon as they are certain
//   }
//   Report r = a.finish(src);
//
// The rules are specified in docs/protocol.md.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/findings.h"
#include "events/source.h"

namespace modrace {

struct SourceLocation {
  std::string file;
  uint32_t line = 0;
};

struct AnalyzerOptions {
  // Formats one frame; defaults to SymbolTable::format. The CLI plugs the trace library's
  // FrameFormatter in here to get "(file:line)" from .ko DWARF.
  std::function<std::string(uint64_t addr, SymbolView)> format_frame;
  // Source location of an address (SARIF physicalLocation); empty by default.
  std::function<std::optional<SourceLocation>(uint64_t addr, SymbolView)> locate;
};

class Analyzer {
 public:
  explicit Analyzer(AnalyzerOptions opts = {});
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Events must come in stream order. `src` supplies meta, stacks and symbols.
  void consume(const Event& ev, const EventSource& src);

  // Findings established since the last call (first occurrence only; counts keep growing and
  // are final in finish()). Unprotected-get findings are established when the module's unload
  // completes. Verdicts that lost events could explain are not returned.
  std::vector<Finding> take_new_findings(const EventSource& src);

  // Judges what is still pending (sites of modules never unloaded become unverified) and
  // builds the report. The analyzer should not be fed after this.
  Report finish(const EventSource& src);

  uint64_t events() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: drains `src` through an Analyzer.
Report analyze(EventSource& src, AnalyzerOptions opts = {});

}  // namespace modrace
