// SPDX-License-Identifier: GPL-2.0-only
//
// Internal to the analyzer. Known kernel idioms: get sites of the kernel's own code whose safety
// comes from something a lockset cannot show (a core that drains its users before the module's
// exit returns, a per-object flag checked under a lock released before the get). A get at such a
// site that no shared lock or RCU protects is `unverified` with the idiom's words, never a
// finding. One table, documented in docs/scenarios.md ("Kernel idioms").
#pragma once

#include <string_view>

namespace modrace::checker {

struct KernelIdiom {
  std::string_view function;   // the get site's function, as kallsyms names it
  std::string_view guarantee;  // what makes the get safe, in words
  std::string_view since;      // kernel versions it holds in (checked where said)
};

// The idiom of the get site in `function`, nullptr when it is not one.
const KernelIdiom* kernel_idiom(std::string_view function);

}  // namespace modrace::checker
