// SPDX-License-Identifier: GPL-2.0-only
#include "loader/widen.h"

#include <linux/types.h>

#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "events/error.h"
#include "modrace_abi.h"

namespace modrace::loader {

static_assert(kWidenMaxUs == MR_WIDEN_MAX_US && kWidenBudgetUs == MR_WIDEN_BUDGET_US &&
              kMaxWidenSites == MR_MAX_WIDEN_SITES);

namespace {

[[noreturn]] void bad(std::string_view arg, std::string_view why) {
  throw Error(fmt::format("--widen {}: {}", arg, why));
}

uint32_t parse_duration(std::string_view arg, std::string_view d) {
  uint64_t scale = 1000;  // a bare number is ms
  if (d.ends_with("us")) {
    scale = 1;
    d.remove_suffix(2);
  } else if (d.ends_with("ms")) {
    d.remove_suffix(2);
  }
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), n);
  if (d.empty() || ec != std::errc() || end != d.data() + d.size() || n == 0 ||
      n > kWidenMaxUs / scale || n * scale > kWidenMaxUs)
    bad(arg, fmt::format("DURATION must be 1us to {}ms (5ms, 500us)", kWidenMaxUs / 1000));
  return static_cast<uint32_t>(n * scale);
}

bool is_symbol_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '$')
      return false;
  return true;
}

}  // namespace

WidenSpec parse_widen(std::string_view arg) {
  WidenSpec w;
  w.text = std::string(arg);
  std::string_view site = arg;
  bool has_module = false;
  if (auto eq = site.rfind('='); eq != std::string_view::npos) {
    w.delay_us = parse_duration(arg, site.substr(eq + 1));
    site = site.substr(0, eq);
  }
  // The module: "func+0x2c [mod]" as reports print a site, or "func@mod".
  if (site.ends_with(']')) {
    auto open = site.rfind(" [");
    if (open == std::string_view::npos) bad(arg, "expected FUNCTION+0xOFF [MODULE]");
    w.module = std::string(site.substr(open + 2, site.size() - open - 3));
    site = site.substr(0, open);
    has_module = true;
  } else if (auto at = site.rfind('@'); at != std::string_view::npos) {
    w.module = std::string(site.substr(at + 1));
    site = site.substr(0, at);
    has_module = true;
  }
  if (auto plus = site.find('+'); plus != std::string_view::npos) {
    std::string_view off = site.substr(plus + 1);
    if (auto slash = off.find('/'); slash != std::string_view::npos) off = off.substr(0, slash);
    uint64_t v = 0;
    bool hex = off.starts_with("0x");
    if (hex) off.remove_prefix(2);
    auto [end, ec] = std::from_chars(off.data(), off.data() + off.size(), v, hex ? 16 : 10);
    if (off.empty() || ec != std::errc() || end != off.data() + off.size())
      bad(arg, "the offset after '+' must be a number (0x2c)");
    w.offset = v;
    site = site.substr(0, plus);
  }
  w.function = std::string(site);
  if (!is_symbol_name(w.function))
    bad(arg,
        "expected FUNCTION[+0xOFF][@MODULE] or FUNCTION+0xOFF [MODULE], as reports print a site");
  if (has_module && !is_symbol_name(w.module)) bad(arg, "bad module name");
  return w;
}

std::optional<std::pair<uint64_t, uint64_t>> resolve_widen(const WidenSpec& spec,
                                                           std::span<const KernelSymbol> syms) {
  const KernelSymbol* fn = nullptr;
  for (const auto& s : syms)
    if ((s.type == 't' || s.type == 'T') && s.module == spec.module && s.name == spec.function) {
      fn = &s;
      break;
    }
  if (!fn) return std::nullopt;
  if (spec.offset) return std::make_pair(fn->addr + *spec.offset, fn->addr + *spec.offset + 1);
  uint64_t end = fn->size ? fn->addr + fn->size : 0;
  if (!end)
    for (const auto& s : syms)
      if (s.module == spec.module && s.addr > fn->addr && (!end || s.addr < end)) end = s.addr;
  if (!end) return std::nullopt;
  return std::make_pair(fn->addr, end);
}

}  // namespace modrace::loader
