// SPDX-License-Identifier: GPL-2.0-only
//
// Get sites and lock signatures: creation off the hot path, and a site as text.
#include "analyzer/sites.h"

#include <fmt/format.h>

namespace modrace::checker {

uint32_t SiteTable::site_for(uint32_t name_id, const RefcountOp& r, EventKind op, const Caller& c,
                             const FirstSeen& first) {
  const int64_t caller_mod = c.inst ? int64_t(c.inst->name_id) : -1;
  uint64_t h = mix64(r.caller_ip ^ (uint64_t(name_id) << 40) ^ (uint64_t(op) << 56) ^
                     uint64_t(caller_mod + 1) << 20);
  for (;; h++) {
    auto it = site_index_.find(h);
    if (it == site_index_.end()) break;
    const Site& s = sites_[it->second];
    if (s.caller_ip == r.caller_ip && s.name_id == name_id && s.op == op &&
        s.caller_mod == caller_mod)
      return it->second;
  }
  Site s;
  s.name_id = name_id;
  s.caller_ip = r.caller_ip;
  s.op = op;
  place_caller(s, r.caller_ip, c);
  s.first = first;
  auto idx = static_cast<uint32_t>(sites_.size());
  sites_.push_back(std::move(s));
  site_index_.emplace(h, idx);
  return idx;
}

uint32_t SiteTable::add_sig(uint64_t h, uint32_t name_id, const RefcountOp& r, EventKind op,
                            const Caller& c, const FirstSeen& first, bool incomplete) {
  const LockContext& lc = r.locks;
  uint32_t site = site_for(name_id, r, op, c, first);
  Sig s;
  s.site = site;
  s.locks = lc;
  s.incomplete = incomplete;
  s.first = first;
  auto idx = static_cast<uint32_t>(sigs_.size());
  sigs_.push_back(std::move(s));
  sig_index_.emplace(h, idx);
  // Keep the site's union of locks for the per-site summary.
  auto& seen = sites_[site].locks_seen;
  for (const auto& l : lc.held()) {
    bool have = false;
    for (const auto& x : seen) have |= x.addr == l.addr && x.kind == l.kind;
    if (!have && seen.size() < 16) seen.push_back(l);
  }
  return idx;
}

std::string site_text(uint64_t ip, int64_t caller_mod, uint64_t off, bool in_init, SymbolView syms,
                      const ModuleTable& modules, std::string* function) {
  auto r = syms.resolve(ip);
  if (r.symbol) {
    if (function) *function = r.symbol->name;
    if (r.symbol->module.empty()) return fmt::format("{}+0x{:x}", r.symbol->name, r.offset);
    return fmt::format("{}+0x{:x} [{}]", r.symbol->name, r.offset, r.symbol->module);
  }
  if (caller_mod >= 0)  // module-relative: stable across loads even without symbols
    return fmt::format("{}+0x{:x} [{}]", in_init ? ".init.text" : ".text", off,
                       modules.name(caller_mod));
  return fmt::format("0x{:x}", ip);
}

}  // namespace modrace::checker
