// SPDX-License-Identifier: GPL-2.0-only
//
// Text output of strings that come from a trace or the kernel: process names (any process sets
// its own), module, symbol and lock names, the hostname. Written raw, an escape sequence in a
// process name would drive the reader's terminal and a newline would forge report lines. Every
// text path (report text, live, dump, info, diagnostics on stderr) passes such strings through
// printable(); JSON and SARIF replace invalid UTF-8 with U+FFFD instead (docs/trace-format.md).
#pragma once

#include <string>
#include <string_view>

namespace modrace {

// `s` with what a terminal would act on escaped, as the kernel's string_escape_str does:
// \n, \r, \t and \\ as such; other C0 controls, DEL, C1 controls (U+0080..U+009F) and bytes
// that are not valid UTF-8 as \xNN, one per byte. Valid printable UTF-8 is kept as it is, so
// the result is always valid UTF-8 with no control character.
std::string printable(std::string_view s);

}  // namespace modrace
