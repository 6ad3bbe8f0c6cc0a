#include "config/config_loader.h"

#include <algorithm>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "config/address_book.h"
#include "config/broker_kinds.h"
#include "config/config_node.h"
#include "config/relative_paths.h"
#include "config/route_parser.h"
#include "config/tls_parser.h"
#include "config/units.h"
#include "config/yaml_document.h"

namespace causeway::config {
namespace {

// Keys and values in a message come from the file: control characters but the line
// breaks between several errors are written as escapes, so a message cannot end early
// at a NUL or carry terminal escapes into a log.
std::string printable(std::string text) {
  auto is_control = [](unsigned char c) { return (c < 0x20 && c != '\n') || c == 0x7f; };
  if (std::none_of(text.begin(), text.end(), is_control)) return text;
  std::string escaped;
  for (const unsigned char c : text) {
    if (is_control(c)) {
      static constexpr char kHex[] = "0123456789abcdef";
      escaped += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    } else {
      escaped.push_back(static_cast<char>(c));
    }
  }
  return escaped;
}

std::string describe(const std::string& file, Mark mark, const std::string& path, const std::string& message) {
  std::string text = file + ":";
  if (mark.line > 0) text += std::to_string(mark.line) + ":" + std::to_string(mark.column) + ":";
  text += " ";
  if (!path.empty()) text += path + ": ";
  return text + message;
}

// Counts (headers, connections) start at 1, as zero would refuse every request; the cap catches typos.
constexpr std::int64_t kMaxCount = 1'000'000'000;

Duration parse_timeout(const ConfigNode& node) {
  const Duration timeout = node.duration();
  if (timeout <= Duration::zero()) node.fail("expected a duration greater than 0");
  return timeout;
}

HttpLimits parse_limits(const ConfigNode& node) {
  const Mapping map(node, {"max_header_bytes", "max_headers", "max_body", "header_timeout", "body_timeout",
                           "idle_timeout", "max_connections"});
  HttpLimits limits;
  if (auto value = map.optional("max_header_bytes")) limits.max_header_bytes = value->size();
  if (auto value = map.optional("max_headers")) limits.max_headers = value->integer(1, kMaxCount);
  if (auto value = map.optional("max_body")) limits.max_body_bytes = value->size();
  if (auto value = map.optional("header_timeout")) limits.header_timeout = parse_timeout(*value);
  if (auto value = map.optional("body_timeout")) limits.body_timeout = parse_timeout(*value);
  if (auto value = map.optional("idle_timeout")) limits.idle_timeout = parse_timeout(*value);
  if (auto value = map.optional("max_connections")) limits.max_connections = value->integer(1, kMaxCount);
  return limits;
}

GrpcLimits parse_grpc_limits(const ConfigNode& node) {
  const Mapping map(node, {"max_concurrent_streams", "max_message", "max_metadata", "max_connection_age",
                           "max_connection_idle", "min_ping_interval"});
  GrpcLimits limits;
  if (auto value = map.optional("max_concurrent_streams")) {
    limits.max_concurrent_streams = static_cast<int>(value->integer(1, 1'000'000));
  }
  if (auto value = map.optional("max_message")) limits.max_message_bytes = value->size();
  if (auto value = map.optional("max_metadata")) limits.max_metadata_bytes = value->size();
  // 0 turns the age and idle bounds off.
  if (auto value = map.optional("max_connection_age")) limits.max_connection_age = value->duration();
  if (auto value = map.optional("max_connection_idle")) limits.max_connection_idle = value->duration();
  if (auto value = map.optional("min_ping_interval")) limits.min_ping_interval = value->duration();
  if (limits.max_message_bytes == 0) map.fail_at_key("max_message", "expected a size greater than 0");
  if (limits.max_metadata_bytes < 1024) map.fail_at_key("max_metadata", "expected at least 1KiB");
  return limits;
}

Listener parse_listener(const MapEntry& entry, AddressBook& addresses) {
  Listener listener;
  listener.name = entry.key_node.name();
  listener.mark = entry.key_node.mark();
  const Mapping map(entry.value, {"protocol", "listen", "limits", "tls"});
  const ConfigNode protocol = map.required("protocol");
  listener.protocol = protocol.one_of<Protocol>({{"http", Protocol::http}, {"grpc", Protocol::grpc}});
  const ConfigNode listen = map.required("listen");
  listener.listen = listen.endpoint();
  addresses.claim(listener.listen, "listener '" + listener.name + "'", listen);
  if (listener.protocol == Protocol::grpc) {
    if (map.has("tls")) map.fail_at_key("tls", "TLS on gRPC listeners is not supported yet; terminate it in front");
    if (auto limits = map.optional("limits")) listener.grpc_limits = parse_grpc_limits(*limits);
    return listener;
  }
  if (auto limits = map.optional("limits")) listener.limits = parse_limits(*limits);
  if (auto tls = map.optional("tls")) listener.tls = parse_listener_tls(*tls);
  return listener;
}

std::vector<Listener> parse_listeners(const ConfigNode& node, AddressBook& addresses) {
  std::vector<Listener> listeners;
  for (const MapEntry& entry : node.entries()) listeners.push_back(parse_listener(entry, addresses));
  return listeners;
}

std::string parse_wire_header_name(const ConfigNode& node) {
  std::string name = node.string();
  const bool printable = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7f;
  });
  if (!printable) node.fail("expected a header name");
  return name;
}

WireHeaders parse_wire_headers(const ConfigNode& node) {
  const Mapping map(node, {"correlation_id", "reply_to", "reply_partition", "status", "reply_partition_encoding"});
  WireHeaders headers;
  if (auto name = map.optional("correlation_id")) headers.correlation_id = parse_wire_header_name(*name);
  if (auto name = map.optional("reply_to")) headers.reply_to = parse_wire_header_name(*name);
  if (auto name = map.optional("reply_partition")) headers.reply_partition = parse_wire_header_name(*name);
  if (auto name = map.optional("status")) headers.status = parse_wire_header_name(*name);
  if (auto encoding = map.optional("reply_partition_encoding")) {
    headers.reply_partition_encoding = encoding->one_of<WireHeaders::PartitionEncoding>(
        {{"decimal", WireHeaders::PartitionEncoding::decimal}, {"int32", WireHeaders::PartitionEncoding::int32}});
  }
  return headers;
}

// The type decides which keys the entry may have, so it is read first.
const BrokerKind& broker_kind(const ConfigNode& entry) {
  std::string type = "kafka";
  std::optional<ConfigNode> node;
  if (entry.yaml().IsMap()) {
    for (const MapEntry& key : entry.entries()) {
      if (key.key == "type") node = key.value;
    }
  }
  if (node) type = node->string();
  const BrokerKind* kind = find_broker_kind(type);
  if (!kind) {
    std::string known;
    for (const auto& name : broker_kind_names()) known += (known.empty() ? "" : ", ") + name;
    (node ? *node : entry).fail("expected one of: " + known);
  }
  return *kind;
}

Broker parse_broker(const MapEntry& entry) {
  Broker broker;
  broker.name = entry.key_node.name();
  broker.mark = entry.key_node.mark();
  const BrokerKind& kind = broker_kind(entry.value);
  broker.type = kind.type;
  std::vector<std::string_view> keys{"type", "headers"};
  keys.insert(keys.end(), kind.keys.begin(), kind.keys.end());
  const Mapping map(entry.value, keys);
  if (auto headers = map.optional("headers")) broker.headers = parse_wire_headers(*headers);
  broker.settings = kind.parse(map, broker);
  return broker;
}

std::vector<Broker> parse_brokers(const ConfigNode& node) {
  std::vector<Broker> brokers;
  for (const MapEntry& entry : node.entries()) brokers.push_back(parse_broker(entry));
  return brokers;
}

// http[s]://host[:port][/base/path]; the base path is prefixed to every request path.
void parse_url(const ConfigNode& node, Upstream& upstream) {
  const std::string text = node.string();
  const std::size_t separator = text.find("://");
  const std::string scheme = separator == std::string::npos ? "" : text.substr(0, separator);
  if (scheme != "http" && scheme != "https") node.fail("expected a URL like http://127.0.0.1:3000");
  std::string_view rest = std::string_view(text).substr(separator + 3);
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  while (path.ends_with('/')) path.remove_suffix(1);
  const bool has_port = authority.find(':', authority.starts_with('[') ? authority.find(']') : 0) != std::string_view::npos;
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  const std::optional<Endpoint> endpoint =
      parse_endpoint(has_port ? std::string(authority) : std::string(authority) + default_port);
  if (!endpoint || endpoint->port == 0 || authority.starts_with(':') || path.find_first_of("?#") != std::string_view::npos) {
    node.fail("expected a URL like http://127.0.0.1:3000");
  }
  upstream.scheme = scheme;
  upstream.host = endpoint->host;
  upstream.port = endpoint->port;
  upstream.base_path = std::string(path);
}

// type: grpc: address, timeout and max_response; one HTTP/2 channel, plaintext.
Upstream parse_grpc_upstream(const Mapping& map, Upstream upstream) {
  for (std::string_view key : {"url", "connect_timeout", "max_connections", "idle_timeout", "circuit_breaker", "tls"}) {
    if (map.has(key)) map.fail_at_key(key, "'" + std::string(key) + "' is for HTTP upstreams; a gRPC upstream has an address");
  }
  const ConfigNode address = map.required("address");
  const std::optional<Endpoint> endpoint = parse_endpoint(address.string());
  if (!endpoint || endpoint->port == 0) address.fail("expected host:port, like 127.0.0.1:50052");
  upstream.scheme = "grpc";
  upstream.host = endpoint->host;
  upstream.port = endpoint->port;
  if (auto value = map.optional("timeout")) upstream.timeout = parse_timeout(*value);
  if (auto value = map.optional("max_response")) upstream.max_response_bytes = value->size();
  return upstream;
}

Upstream parse_upstream(const MapEntry& entry) {
  Upstream upstream;
  upstream.name = entry.key_node.name();
  upstream.mark = entry.key_node.mark();
  const Mapping map(entry.value, {"type", "url", "address", "timeout", "connect_timeout", "max_connections",
                                  "max_response", "idle_timeout", "circuit_breaker", "tls"});
  if (auto type = map.optional("type")) upstream.type = type->one_of<std::string>({{"http", "http"}, {"grpc", "grpc"}});
  if (upstream.type == "grpc") return parse_grpc_upstream(map, std::move(upstream));
  if (map.has("address")) map.fail_at_key("address", "'address' is for gRPC upstreams (type: grpc); this one has a url");
  parse_url(map.required("url"), upstream);
  if (auto tls = map.optional("tls")) {
    if (upstream.scheme != "https") map.fail_at_key("tls", "needs an https:// url");
    upstream.tls = parse_upstream_tls(*tls, upstream.host);
  } else if (upstream.scheme == "https") {
    upstream.tls.emplace();  // CA verification against the system's store, of the url's host
    upstream.tls->server_name = upstream.host;
  }
  if (auto value = map.optional("timeout")) upstream.timeout = parse_timeout(*value);
  if (auto value = map.optional("connect_timeout")) upstream.connect_timeout = parse_timeout(*value);
  if (auto value = map.optional("max_connections")) upstream.max_connections = value->integer(1, kMaxCount);
  if (auto value = map.optional("max_response")) upstream.max_response_bytes = value->size();
  if (auto value = map.optional("idle_timeout")) upstream.idle_timeout = parse_timeout(*value);
  if (auto value = map.optional("circuit_breaker")) {
    const Mapping breaker(*value, {"failures", "open_for"});
    // Assigned, not emplace()d: clang 14 takes the nested struct for not default-constructible.
    upstream.circuit_breaker = Upstream::Breaker{};
    if (auto failures = breaker.optional("failures")) {
      upstream.circuit_breaker->failures = static_cast<int>(failures->integer(1, 1000000));
    }
    if (auto open_for = breaker.optional("open_for")) upstream.circuit_breaker->open_for = parse_timeout(*open_for);
  }
  return upstream;
}

std::vector<Upstream> parse_upstreams(const ConfigNode& node) {
  std::vector<Upstream> upstreams;
  for (const MapEntry& entry : node.entries()) upstreams.push_back(parse_upstream(entry));
  return upstreams;
}

Replies parse_replies(const ConfigNode& node) {
  const Mapping map(node, {"max_pending", "keep", "max_kept"});
  Replies replies;
  if (auto value = map.optional("max_pending")) replies.max_pending = value->integer(1, kMaxCount);
  if (auto value = map.optional("keep")) replies.keep = value->duration();
  if (auto value = map.optional("max_kept")) replies.max_kept_bytes = value->size();
  return replies;
}

Protos parse_protos(const ConfigNode& node) {
  const Mapping map(node, {"files", "include"});
  Protos protos;
  protos.mark = node.mark();
  for (const ConfigNode& item : map.required("files").list()) {
    FileSetting file{item.string(), item.mark()};
    if (file.path.empty()) item.fail("expected a file path");
    protos.files.push_back(std::move(file));
  }
  if (protos.files.empty()) map.fail_at_key("files", "expected at least one .proto file or descriptor set");
  if (auto include = map.optional("include")) {
    for (const ConfigNode& item : include->list()) {
      std::string path = item.string();
      if (path.empty()) item.fail("expected a directory");
      protos.include.push_back(std::move(path));
    }
  }
  return protos;
}

SoapFiles parse_soap_files(const ConfigNode& node) {
  const Mapping map(node, {"files"});
  SoapFiles soap;
  soap.mark = node.mark();
  for (const ConfigNode& item : map.required("files").list()) {
    FileSetting file{item.string(), item.mark()};
    if (file.path.empty()) item.fail("expected a file path");
    soap.files.push_back(std::move(file));
  }
  if (soap.files.empty()) map.fail_at_key("files", "expected at least one WSDL file");
  return soap;
}

Admin parse_admin(const ConfigNode& node) {
  const Mapping map(node, {"listen"});
  Admin admin;
  if (auto listen = map.optional("listen")) admin.listen = listen->endpoint();
  return admin;
}

// Sections are read in this order whatever the file's order: routes refer to the others.
Config parse_document(const ConfigNode& root) {
  if (!root.yaml().IsMap()) root.fail("expected a mapping at the top level");
  const Mapping map(root, {"admin", "drain_timeout", "replies", "protos", "soap", "listeners", "brokers", "upstreams", "routes"});
  Config config;
  if (auto admin = map.optional("admin")) config.admin = parse_admin(*admin);
  if (auto drain = map.optional("drain_timeout")) config.drain_timeout = drain->duration();
  if (auto replies = map.optional("replies")) config.replies = parse_replies(*replies);
  if (auto protos = map.optional("protos")) config.protos = parse_protos(*protos);
  if (auto soap = map.optional("soap")) config.soap = parse_soap_files(*soap);
  AddressBook addresses;
  addresses.add(config.admin.listen, "the admin listener");
  if (auto listeners = map.optional("listeners")) config.listeners = parse_listeners(*listeners, addresses);
  if (auto brokers = map.optional("brokers")) config.brokers = parse_brokers(*brokers);
  if (auto upstreams = map.optional("upstreams")) config.upstreams = parse_upstreams(*upstreams);
  if (auto routes = map.optional("routes")) config.routes = parse_routes(*routes, config);
  return config;
}

std::string read_file(const std::string& file) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(std::fopen(file.c_str(), "rb"), &std::fclose);
  auto cannot_read = [&] { return ConfigError(file, Mark{}, "", std::string("cannot read file: ") + std::strerror(errno)); };
  auto too_large = [&](const std::string& size) {
    return ConfigError(file, Mark{}, "",
                       "the file is over the limit of " + std::to_string(kMaxConfigFileBytes >> 20) +
                           " MiB for a config file" + size);
  };
  if (!stream) throw cannot_read();
  struct stat status {};
  if (fstat(fileno(stream.get()), &status) == 0 && S_ISREG(status.st_mode) &&
      static_cast<std::uintmax_t>(status.st_size) > kMaxConfigFileBytes) {
    throw too_large(" (" + std::to_string(status.st_size) + " bytes)");
  }
  // Counted as it is read too: a pipe or a file that grows has no size to check first.
  std::string text;
  char buffer[1 << 16];
  while (const std::size_t count = std::fread(buffer, 1, sizeof buffer, stream.get())) {
    if (text.size() + count > kMaxConfigFileBytes) throw too_large("");
    text.append(buffer, count);
  }
  if (std::ferror(stream.get())) throw cannot_read();
  return text;
}

}  // namespace

ConfigError::ConfigError(std::string file, Mark mark, std::string path, std::string message)
    : std::runtime_error(describe(file, mark, printable(path), printable(message))),
      file_(std::move(file)),
      mark_(mark),
      path_(printable(std::move(path))),
      message_(printable(std::move(message))) {}

Config load_config(const std::string& file) {
  Config config = parse_config(read_file(file), file);
  resolve_relative_paths(config);
  return config;
}

Config parse_config(std::string_view yaml, const std::string& file) {
  Config config = parse_document(ConfigNode(load_yaml_document(yaml, file), file));
  config.file = file;
  return config;
}

}  // namespace causeway::config
