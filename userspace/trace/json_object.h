// SPDX-License-Identifier: GPL-2.0-only
//
// One JSON object written straight to text, for output that goes out once per event (`dump
// --json`): no tree of maps and strings built and torn down per line. Values are numbers,
// booleans, strings and nested objects or arrays already written. The text is what
// nlohmann::json would print for the same object (`dump(-1, ' ', false, replace)`): keys sorted
// as its std::map sorts them, strings escaped by its serializer whenever they hold a byte that
// needs escaping (control characters, quotes, backslashes, anything not plain ASCII, which
// includes invalid UTF-8, printed as U+FFFD).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace modrace {

class JsonObject {
 public:
  // Keys are string literals with nothing to escape (they must outlive the object), each set
  // once.
  void str(std::string_view key, std::string_view value);
  template <std::integral T>
  void num(std::string_view key, T value) {
    begin(key);
    fmt::format_int text(value);
    values_.append(text.data(), text.size());
    end();
  }
  void boolean(std::string_view key, bool value);
  // A value that is already JSON text (a nested object or array).
  void raw(std::string_view key, std::string_view json);
  // The object's text: "{...}", keys in order.
  std::string text();

 private:
  struct Field {
    uint64_t head;  // the key's first 8 bytes, big-endian, zero-padded: most compares end here
    std::string_view key;
    uint32_t begin = 0, end = 0;  // the value's text in values_
    bool operator<(const Field& o) const { return head != o.head ? head < o.head : key < o.key; }
  };
  void begin(std::string_view key) {
    uint64_t head = 0;
    for (size_t i = 0; i < 8; i++) head = head << 8 | (i < key.size() ? uint8_t(key[i]) : 0);
    fields_.push_back({head, key, uint32_t(values_.size()), 0});
  }
  void end() { fields_.back().end = uint32_t(values_.size()); }

  std::vector<Field> fields_;
  std::string values_;
};

// A JSON string literal for `s`, quotes included, appended to `out` (as nlohmann escapes it).
void append_json_string(std::string& out, std::string_view s);

}  // namespace modrace
