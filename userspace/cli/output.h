// SPDX-License-Identifier: GPL-2.0-only
//
// Where the commands that read a trace write their output (report -o, export --perfetto).
#pragma once

#include <string>

namespace modrace::cli {

// Refuses (modrace::Error, exit 2) an output path that names the input trace itself, through
// any link: writing there would destroy the trace before, or while, it is read.
void refuse_output_over_input(const std::string& output, const std::string& input);

}  // namespace modrace::cli
