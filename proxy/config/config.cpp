#include "config/config.h"

#include <algorithm>

namespace causeway::config {

std::string Endpoint::text() const {
  const std::string port_text = std::to_string(port);
  // An IPv6 literal needs brackets, or its colons would run into the port's.
  if (host.find(':') != std::string::npos) {
    return "[" + host + "]:" + port_text;
  }
  return host + ":" + port_text;
}

namespace {

template <typename T>
const T* find_named(const std::vector<T>& items, std::string_view name) {
  const auto found = std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
  return found == items.end() ? nullptr : &*found;
}

}  // namespace

const Listener* Config::find_listener(std::string_view name) const { return find_named(listeners, name); }

const Broker* Config::find_broker(std::string_view name) const { return find_named(brokers, name); }

const Upstream* Config::find_upstream(std::string_view name) const { return find_named(upstreams, name); }

std::string_view to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::http:
      return "http";
    case Protocol::grpc:
      return "grpc";
  }
  return "unknown";
}

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::event:
      return "event";
    case Mode::request_reply:
      return "request-reply";
    case Mode::direct_response:
      return "direct_response";
    case Mode::delivery:
      return "delivery";
    case Mode::forward:
      return "forward";
    case Mode::transcode:
      return "transcode";
    case Mode::stream:
      return "stream";
    case Mode::bridge:
      return "bridge";
  }
  return "unknown";
}

}  // namespace causeway::config
