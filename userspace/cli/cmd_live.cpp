// SPDX-License-Identifier: GPL-2.0-only
// `modrace live`: the analyzer on the live ring buffer (loader::LiveSource). Wiring it to the
// analyzer and renderers is left to the analyzer side; until then it says so.
#include "cli/commands.h"
#include "events/error.h"

namespace modrace::cli {

void add_live_command(CLI::App& app) {
  auto* sub = app.add_subcommand("live", "Analyse the running kernel as it goes (not built yet)");
  sub->allow_extras();
  sub->callback([] { throw Error("live: not built yet (use record, then report)"); });
}

}  // namespace modrace::cli
