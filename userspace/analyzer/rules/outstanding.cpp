// SPDX-License-Identifier: GPL-2.0-only
//
// outstanding (info): references still held on a loaded module when the trace ended, per
// symbolized get site; those a failed-busy unload already blamed are marked leaked.
#include <algorithm>
#include <unordered_map>

#include "analyzer/rules/rule.h"

namespace modrace::checker::outstanding {

void collect(const ModuleTable& modules, const SiteTable& sites, const SymbolTable& syms,
             Report& rep) {
  std::unordered_map<std::string, size_t> out_index;
  for (auto& [ptr, inst] : modules.instances()) {
    if (inst->unloaded || inst->freed) continue;
    for (auto& [site_idx, n] : inst->refs.by_site()) {
      const Site& s = sites.site(site_idx);
      Outstanding o;
      o.module = modules.name(inst->name_id);
      o.site = site_text(s.caller_ip, s.caller_mod, s.caller_off, s.caller_in_init,
                         syms.at(s.first.epoch), modules, &o.function);
      o.id = finding_id(Rule::outstanding, o.module, o.site);
      o.count = n;
      o.leaked = inst->busy_failed;
      auto [it, fresh] = out_index.emplace(o.id, rep.outstanding.size());
      if (fresh)
        rep.outstanding.push_back(std::move(o));
      else
        rep.outstanding[it->second].count += n;
    }
  }
  std::sort(rep.outstanding.begin(), rep.outstanding.end(),
            [](const Outstanding& a, const Outstanding& b) {
              return a.module != b.module ? a.module < b.module : a.site < b.site;
            });
}

}  // namespace modrace::checker::outstanding
