// SPDX-License-Identifier: GPL-2.0-only
#include "trace/json_object.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace modrace {

void append_json_string(std::string& out, std::string_view s) {
  // Plain printable ASCII without quote or backslash is written as is: nlohmann would copy it
  // unchanged. Anything else goes through its serializer, so escapes and the replacement of
  // invalid UTF-8 are its own, not a second copy of them here.
  bool plain = true;
  for (char c : s) plain &= c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

void JsonObject::str(std::string_view key, std::string_view value) {
  begin(key);
  append_json_string(values_, value);
  end();
}

void JsonObject::boolean(std::string_view key, bool value) {
  begin(key);
  values_ += value ? "true" : "false";
  end();
}

void JsonObject::raw(std::string_view key, std::string_view json) {
  begin(key);
  values_ += json;
  end();
}

std::string JsonObject::text() {
  // nlohmann's objects are std::maps: keys in byte order (each key is set once here).
  std::sort(fields_.begin(), fields_.end());
  std::string out;
  out.reserve(values_.size() + 24 * fields_.size() + 2);
  out += '{';
  for (const auto& f : fields_) {
    if (out.size() > 1) out += ',';
    out += '"';  // keys are literals with nothing to escape
    out += f.key;
    out += "\":";
    out.append(values_, f.begin, f.end - f.begin);
  }
  out += '}';
  return out;
}

}  // namespace modrace
