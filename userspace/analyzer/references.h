// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. RefLedger: the references one load of a module has handed out, by
// get site and by holding task, which one a put gives back, and the loader's own references.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace modrace::checker {

class RefLedger {
 public:
  // The loader's initial reference, taken in module_unload_init, dropped by do_init_module.
  bool initial_ref = false;
  uint32_t core_refs = 0;  // loader references taken on behalf of dependent modules

  uint64_t user_refs() const { return user_refs_; }
  // Outstanding attributed references, by get site.
  const std::unordered_map<uint32_t, uint64_t>& by_site() const { return site_refs_; }
  // The task holds a reference it took itself.
  bool holds(uint32_t tid) const {
    auto h = holders_.find(tid);
    return h != holders_.end() && !h->second.sites.empty();
  }

  // A successful get from `site` by task `tid`.
  void take(uint32_t site, uint32_t tid, uint32_t pid);
  // A put by task `tid`: the site whose reference it gave back, -1 when none was outstanding.
  int64_t release(uint32_t tid);
  // The module went away (a completed, possibly forced, unload): its references with it.
  void drop_all();

 private:
  struct Holder {
    uint32_t pid = 0;
    std::vector<uint32_t> sites;  // get sites of the references this task holds, in order taken
  };
  uint64_t user_refs_ = 0;  // attributed references (site_refs_ summed)
  std::unordered_map<uint32_t, uint64_t> site_refs_;
  std::unordered_map<uint32_t, Holder> holders_;  // tid -> references it took
  uint64_t idle_holders_ = 0;                     // entries whose sites are empty
};

}  // namespace modrace::checker
