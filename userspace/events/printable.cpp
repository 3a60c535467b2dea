// SPDX-License-Identifier: GPL-2.0-only
#include "events/printable.h"

#include <algorithm>

#include <fmt/format.h>

namespace modrace {

namespace {

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 when it is not one
// (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, cut short).
size_t utf8_length(std::string_view s, size_t i, uint32_t& cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t n;
  uint32_t min;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    n = 2, min = 0x80, cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, min = 0x800, cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

void escape_bytes(std::string& out, std::string_view bytes) {
  for (unsigned char c : bytes) out += fmt::format("\\x{:02x}", c);
}

}  // namespace

std::string printable(std::string_view s) {
  // Names are nearly always plain ASCII: then there is nothing to do (dump calls this per line).
  if (std::none_of(s.begin(), s.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c >= 0x7f || c == '\\';
      }))
    return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t n = utf8_length(s, i, cp);
    if (n == 0) {  // not UTF-8: this byte alone
      escape_bytes(out, s.substr(i, 1));
      i++;
      continue;
    }
    switch (cp) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
          escape_bytes(out, s.substr(i, n));
        else
          out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace modrace
