// SPDX-License-Identifier: GPL-2.0-only
//
// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the app. Callbacks
// throw modrace::Error for user errors; main prints them once and exits with their code.
// Commands that produce an exit status other than 0 (report: findings) set it through
// set_exit_status().
#pragma once

#include <CLI/CLI.hpp>

namespace modrace::cli {

void add_check_command(CLI::App& app);   // loader: what this kernel supports
void add_record_command(CLI::App& app);  // loader: record to a trace file
void add_live_command(CLI::App& app);    // loader + analyzer: findings as they happen
void add_report_command(CLI::App& app);  // analyzer + report: analyse a trace file
void add_dump_command(CLI::App& app);    // trace: one event per line
void add_info_command(CLI::App& app);    // trace: header, counts, drops, modules
void add_export_command(CLI::App& app);  // trace: perfetto export
void add_synth_command(CLI::App& app);   // synth: synthetic traces

void set_exit_status(int status);
int exit_status();

// True when stdout is a terminal and NO_COLOR is unset.
bool use_colour();

}  // namespace modrace::cli
