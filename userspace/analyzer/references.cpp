// SPDX-License-Identifier: GPL-2.0-only
//
// Reference accounting of one module load: taking, attributing a put, dropping all.
#include "analyzer/references.h"

#include <algorithm>
#include <cstdint>

namespace modrace::checker {

void RefLedger::take(uint32_t site, uint32_t tid, uint32_t pid) {
  user_refs_++;
  site_refs_[site]++;
  auto& h = holders_[tid];
  if (h.sites.empty() && h.pid) idle_holders_--;
  h.pid = pid;
  h.sites.push_back(site);
  // Tasks that held and released are kept (no allocation churn on every open/close) until
  // they are the majority; then swept, so memory stays bounded by live references.
  if (idle_holders_ > 1024 && idle_holders_ * 2 > holders_.size()) {
    std::erase_if(holders_, [](const auto& kv) { return kv.second.sites.empty(); });
    idle_holders_ = 0;
  }
}

int64_t RefLedger::release(uint32_t tid) {
  auto dec_site = [this](uint32_t site) {
    auto it = site_refs_.find(site);
    if (--it->second == 0) site_refs_.erase(it);
    user_refs_--;
  };
  // The task's own latest reference first (the common open/close pairing).
  if (auto h = holders_.find(tid); h != holders_.end() && !h->second.sites.empty()) {
    uint32_t site = h->second.sites.back();
    h->second.sites.pop_back();
    idle_holders_ += h->second.sites.empty();
    dec_site(site);
    return site;
  }
  if (user_refs_ == 0) return -1;
  // Another task's reference (fput from a worker, a put in a completion...). Which one is a
  // guess: the site with the fewest outstanding, so that a leaking site keeps its count.
  uint32_t best = 0;
  uint64_t best_n = UINT64_MAX;
  for (auto& [site, n] : site_refs_)
    if (n < best_n || (n == best_n && site < best)) best = site, best_n = n;
  for (auto h = holders_.begin(); h != holders_.end(); ++h) {
    auto& v = h->second.sites;
    auto it = std::find(v.begin(), v.end(), best);
    if (it == v.end()) continue;
    v.erase(it);
    idle_holders_ += v.empty();
    break;
  }
  dec_site(best);
  return best;
}

void RefLedger::drop_all() {
  site_refs_.clear();
  holders_.clear();
  idle_holders_ = 0;
  user_refs_ = 0;
}

}  // namespace modrace::checker
