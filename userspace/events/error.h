// SPDX-License-Identifier: GPL-2.0-only
//
// Fatal user-facing errors: thrown anywhere, caught once in main, printed as "modrace: <what>".
#pragma once

#include <stdexcept>
#include <string>

namespace modrace {

// Documented exit codes (docs/usage.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;  // report/live: findings at or above --fail-on
inline constexpr int kExitUsage = 2;     // bad option, bad input file, missing privilege/feature
inline constexpr int kExitBug = 3;       // "modrace: BUG: ...": an internal invariant broke

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int exit_code = kExitUsage)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace modrace
