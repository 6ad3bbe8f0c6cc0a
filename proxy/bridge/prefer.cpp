#include "bridge/prefer.h"

#include "config/http_names.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

namespace causeway::bridge {

namespace {

void read_preference(std::string_view preference, Preferences& out) {
  preference = config::trim_whitespace(preference.substr(0, preference.find(';')));  // parameters do not matter here
  auto equals = preference.find('=');
  std::string_view name = config::trim_whitespace(preference.substr(0, equals));
  std::string_view value =
      equals == std::string_view::npos ? std::string_view{} : config::trim_whitespace(preference.substr(equals + 1));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  if (config::same_name(name, "respond-async")) {
    out.respond_async = true;
  } else if (config::same_name(name, "wait")) {
    long seconds = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error == std::errc{} && end == value.data() + value.size() && seconds >= 0) {
      out.wait = std::chrono::seconds(seconds);
    }
  }
}

}  // namespace

Preferences read_preferences(const Headers& headers) {
  Preferences preferences;
  for (const auto& header : headers) {
    if (header.name != "prefer") continue;
    std::string_view list = header.value;
    while (!list.empty()) {
      auto comma = list.find(',');
      read_preference(list.substr(0, comma), preferences);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  return preferences;
}

}  // namespace causeway::bridge
