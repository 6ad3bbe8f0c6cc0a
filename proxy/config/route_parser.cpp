#include "config/route_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string_view>
#include <unordered_map>

#include "config/broker_kinds.h"
#include "config/config_node.h"
#include "config/http_names.h"
#include "routing/path_template.h"
#include "routing/route_table.h"
#include "routing/value_template.h"

namespace causeway::config {
namespace {

// The headers Causeway writes itself; a route copying a client's value would forge them.
constexpr std::array<std::string_view, 6> kReservedHeaders{
    "correlation-id", "reply-to", "reply-partition", "content-type", "traceparent", "tracestate"};

constexpr std::string_view kSoapListenerTargets =
    "a SOAP listener route goes to an upstream (REST, gRPC or SOAP) or to a topic";

struct ParsedSource {
  std::variant<HttpSource, TopicSource> source;
  ConfigNode where;  // the path of an HTTP source, the from mapping of a topic source
};


// A route and the nodes that checks across routes point at.
struct ParsedRoute {
  Route route;
  ConfigNode name;
  ConfigNode path;
};

// How routes name things on the broker `name` (defined: checked before).
const RouteWords& words_of(const Config& config, const std::string& name) {
  return find_broker_kind(config.find_broker(name)->type)->words;
}

void check_name(const ConfigNode& node, const RouteWords& words, std::string_view name) {
  if (!words.name_problem) return;
  if (auto problem = words.name_problem(name)) node.fail(*problem);
}

// A key of another kind of broker: "'topic' does not go with broker 'rabbit' (rabbitmq): it reads a 'queue'".
void reject_other_words(const Mapping& map, const Config& config, const std::string& broker,
                        std::initializer_list<std::pair<std::string_view, std::string_view>> others) {
  const Broker& defined = *config.find_broker(broker);
  for (const auto& [key, instead] : others) {
    if (key == instead || !map.has(key)) continue;
    map.fail_at_key(key, "'" + std::string(key) + "' does not go with broker '" + broker + "' (" + defined.type +
                             ")" + (instead.empty() ? "" : ": it takes '" + std::string(instead) + "'"));
  }
}

template <typename T>
[[noreturn]] void fail_unknown(const ConfigNode& node, std::string_view kind, const std::vector<T>& defined) {
  std::string names;
  for (const T& item : defined) names += (names.empty() ? "" : ", ") + item.name;
  node.fail("no " + std::string(kind) + " named '" + node.string() + "' (defined: " + (names.empty() ? "none" : names) + ")");
}

std::string non_empty_string(const ConfigNode& node) {
  std::string text = node.string();
  if (text.empty()) node.fail("expected a non-empty string");
  return text;
}

std::string parse_method(const ConfigNode& node) {
  std::string method = node.string();
  std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::toupper(c); });
  if (!is_token(method)) node.fail("expected an HTTP method like GET or POST");
  return method;
}

TopicSource::Binding parse_binding(const ConfigNode& node) {
  const Mapping map(node, {"exchange", "routing_key"});
  return TopicSource::Binding{map.required("exchange").string(),
                              map.optional("routing_key") ? map.optional("routing_key")->string() : "#"};
}

TopicSource parse_topic_source(const Mapping& map, const Config& config) {
  for (std::string_view key : {"listener", "method", "path"}) {
    if (map.has(key)) map.fail_at_key(key, "'" + std::string(key) + "' is for HTTP sources; this route reads a broker");
  }
  TopicSource source;
  const ConfigNode broker = map.required("broker");
  source.broker = broker.string();
  if (!config.find_broker(source.broker)) fail_unknown(broker, "broker", config.brokers);
  const RouteWords& words = words_of(config, source.broker);
  reject_other_words(map, config, source.broker, {{"topic", words.source}, {"queue", words.source}});
  const ConfigNode read = map.required(words.source);
  source.topic = read.string();
  check_name(read, words, source.topic);
  if (words.groups) {
    source.group = non_empty_string(map.required("group"));
  } else {
    reject_other_words(map, config, source.broker, {{"group", ""}});
  }
  if (!words.bindings) {
    reject_other_words(map, config, source.broker, {{"bind", ""}, {"key_header", ""}});
    return source;
  }
  if (auto bind = map.optional("bind")) {
    if (bind->yaml().IsSequence()) {
      for (const ConfigNode& item : bind->list()) source.bind.push_back(parse_binding(item));
    } else {
      source.bind.push_back(parse_binding(*bind));
    }
  }
  if (auto header = map.optional("key_header")) source.key_header = config::lower_case(non_empty_string(*header));
  return source;
}

bool is_identifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// "pkg.Service/Method", or "pkg.Service/*" where `any_method` allows it.
RpcName parse_rpc(const ConfigNode& node, bool any_method) {
  RpcName rpc{node.string(), node.mark(), node.path()};
  if (rpc.name.starts_with('/')) rpc.name.erase(0, 1);
  const std::size_t slash = rpc.name.find('/');
  bool valid = slash != std::string::npos && slash > 0;
  if (valid) {
    const std::string_view service = std::string_view(rpc.name).substr(0, slash);
    for (std::size_t start = 0; valid && start <= service.size();) {
      std::size_t dot = service.find('.', start);
      if (dot == std::string_view::npos) dot = service.size();
      valid = is_identifier(service.substr(start, dot - start));
      start = dot + 1;
    }
    const std::string_view method = std::string_view(rpc.name).substr(slash + 1);
    valid = valid && (is_identifier(method) || (any_method && method == "*"));
  }
  if (!valid) {
    node.fail(any_method ? "expected a gRPC method like inventory.v1.Inventory/GetItem, or inventory.v1.Inventory/*"
                         : "expected a gRPC method like inventory.v1.Inventory/GetItem");
  }
  return rpc;
}

// A gRPC listener's route matches the call's path, as HTTP/2 carries it.
HttpSource parse_rpc_source(const Mapping& map, HttpSource source) {
  for (std::string_view key : {"method", "path"}) {
    if (map.has(key)) map.fail_at_key(key, "'" + std::string(key) + "' is for HTTP listeners; a gRPC listener's routes name an 'rpc'");
  }
  source.rpc = parse_rpc(map.required("rpc"), true);
  const std::string& name = source.rpc->name;
  const std::string path = source.rpc->any_method() ? "/" + name.substr(0, name.size() - 1) + "{method}" : "/" + name;
  source.path = routing::PathTemplate::parse(path);
  source.method = "POST";
  return source;
}

SoapOperationName parse_soap_operation(const ConfigNode& node);

ParsedSource parse_source(const ConfigNode& node, const Config& config) {
  const Mapping map(node, {"listener", "method", "path", "rpc", "soap", "broker", "topic", "group", "queue", "bind",
                           "key_header"});
  if (map.has("broker") || map.has("topic") || map.has("group") || map.has("queue")) {
    if (map.has("rpc")) map.fail_at_key("rpc", "'rpc' is for gRPC listeners; this route reads a broker");
    return ParsedSource{parse_topic_source(map, config), node};
  }
  HttpSource source;
  const ConfigNode listener = map.required("listener");
  source.listener = listener.string();
  const Listener* from = config.find_listener(source.listener);
  if (!from) fail_unknown(listener, "listener", config.listeners);
  if (from->protocol == Protocol::grpc) return ParsedSource{parse_rpc_source(map, std::move(source)), map.required("rpc")};
  if (map.has("rpc")) map.fail_at_key("rpc", "'rpc' is for gRPC listeners; '" + source.listener + "' speaks HTTP");
  if (auto soap = map.optional("soap")) {
    if (map.has("method")) map.fail_at_key("method", "a SOAP listener route takes POST (and GET ?wsdl)");
    source.soap = parse_soap_operation(*soap);
    if (!map.has("path")) {
      source.wsdl_path = true;
      return ParsedSource{std::move(source), node};
    }
  }
  if (!map.has("path")) {
    // Checked once the target is known: only a gRPC method's annotations can stand in.
    if (map.has("method")) map.fail_at_key("method", "'method' goes with 'path'");
    source.annotated = true;
    return ParsedSource{std::move(source), node};
  }
  if (auto method = map.optional("method")) source.method = parse_method(*method);
  const ConfigNode path = map.required("path");
  try {
    source.path = routing::PathTemplate::parse(path.string());
  } catch (const routing::TemplateError& error) {
    path.fail(error.what());
  }
  const auto& segments = source.path.segments();
  if (!segments.empty() && segments.front().kind == routing::PathTemplate::Kind::literal &&
      segments.front().text == "_causeway") {
    path.fail("paths under /_causeway/ are reserved for Causeway (reply polling)");
  }
  return ParsedSource{std::move(source), path};
}

// A template whose every variable the route's source provides.
routing::ValueTemplate parse_template(const ConfigNode& node, const std::variant<HttpSource, TopicSource>& from,
                                      const Config& config) {
  routing::ValueTemplate value;
  try {
    value = routing::ValueTemplate::parse(node.string());
  } catch (const routing::TemplateError& error) {
    node.fail(error.what());
  }
  const auto* http = std::get_if<HttpSource>(&from);
  const std::vector<std::string> provided =
      http ? http->path.variables() : words_of(config, std::get<TopicSource>(from).broker).message_variables;
  for (const std::string& variable : value.variables()) {
    if (std::find(provided.begin(), provided.end(), variable) != provided.end()) continue;
    if (http) node.fail("variable '" + variable + "' is not captured by the path " + http->path.text());
    std::string names;
    for (const auto& name : provided) names += (names.empty() ? "" : ", ") + name;
    node.fail("variable '" + variable + "' is not one of: " + names);
  }
  return value;
}

// A gRPC stream route's key: its variables name fields of the request message, which
// only the protos know (server/config_check.cpp).
routing::ValueTemplate parse_field_template(const ConfigNode& node) {
  try {
    return routing::ValueTemplate::parse(node.string());
  } catch (const routing::TemplateError& error) {
    node.fail(error.what());
  }
}

// Where messages go: the literal parts alone must make a legal name, each variable
// standing in as one letter.
routing::ValueTemplate parse_destination(const ConfigNode& node, const std::variant<HttpSource, TopicSource>& from,
                                         const Config& config, const RouteWords& words) {
  routing::ValueTemplate destination = parse_template(node, from, config);
  routing::Captures sample;
  for (const std::string& variable : destination.variables()) sample.push_back(routing::Capture{variable, "x"});
  const std::string name = destination.render(sample);
  if (!(name.empty() && words.empty_destination)) check_name(node, words, name);
  return destination;
}

TopicTarget parse_topic_target(const Mapping& map, const Config& config,
                               const std::variant<HttpSource, TopicSource>& path) {
  TopicTarget target;
  const ConfigNode broker = map.required("broker");
  target.broker = broker.string();
  if (!config.find_broker(target.broker)) fail_unknown(broker, "broker", config.brokers);
  const RouteWords& words = words_of(config, target.broker);
  reject_other_words(map, config, target.broker,
                     {{"topic", words.destination}, {"exchange", words.destination}, {"key", words.key},
                      {"routing_key", words.key}});
  target.topic = parse_destination(map.required(words.destination), path, config, words);
  const auto* http = std::get_if<HttpSource>(&path);
  const bool grpc_stream = http && http->rpc && map.has("stream") && map.required("stream").string() == "grpc";
  if (auto key = map.optional(words.key)) {
    target.key = grpc_stream ? parse_field_template(*key) : parse_template(*key, path, config);
  }
  if (auto reply = map.optional("reply")) {
    // A reply topic or queue is fixed: this instance reads it from startup on, whatever the requests.
    target.reply = reply->string();
    if (!(words.bindings && *target.reply == "direct")) check_name(*reply, words, *target.reply);
  }
  if (auto timeout = map.optional("timeout")) {
    if (!target.reply) map.fail_at_key("timeout", "'timeout' needs 'reply': an event route answers once the broker acknowledged");
    target.timeout = timeout->duration();
    if (target.timeout <= Duration::zero()) timeout->fail("expected a duration greater than 0");
  }
  if (auto stream = map.optional("stream")) {
    using Framing = TopicTarget::Stream::Framing;
    const Framing framing = stream->one_of<Framing>({{"sse", Framing::sse}, {"grpc", Framing::grpc}});
    if (target.reply) map.fail_at_key("reply", "'reply' does not go with 'stream': a stream only reads");
    if (framing == Framing::grpc) {
      if (!http || !http->rpc) map.fail_at_key("stream", "'stream: grpc' is for routes of a gRPC listener");
      if (http->rpc->any_method()) map.fail_at_key("stream", "'stream: grpc' serves one server-streaming method, not pkg.Service/*");
    } else {
      if (!http || http->rpc || http->soap) map.fail_at_key("stream", "'stream: sse' is for routes of an HTTP listener");
      if (http->method != "GET") map.fail_at_key("stream", "a stream route answers GET; the route's method is " + http->method.value_or("any"));
      if (words.empty_destination && target.topic.variables().empty() && target.topic.render({}).empty()) {
        map.fail_at_key(words.destination, "a stream binds a queue of its own to the " + std::string(words.destination) +
                                               ", and the default one (\"\") takes no bindings: name one");
      }
    }
    // Assigned, not emplace()d: clang 14 takes the nested struct for not default-constructible.
    target.stream = TopicTarget::Stream{};
    target.stream->framing = framing;
    if (auto key = map.optional(words.key)) {
      target.stream->key_mark = key->mark();
      target.stream->key_where = key->path();
    }
  }
  if (auto heartbeat = map.optional("heartbeat")) {
    if (!target.stream) map.fail_at_key("heartbeat", "'heartbeat' needs 'stream: sse'");
    if (grpc_stream) map.fail_at_key("heartbeat", "'heartbeat' is for 'stream: sse'; HTTP/2 pings keep a gRPC stream open");
    target.stream->heartbeat = heartbeat->duration();
    if (target.stream->heartbeat <= Duration::zero()) heartbeat->fail("expected a duration greater than 0");
  }
  if (auto buffer = map.optional("client_buffer")) {
    if (!target.stream) map.fail_at_key("client_buffer", "'client_buffer' needs 'stream: sse'");
    target.stream->client_buffer = buffer->size();
    if (target.stream->client_buffer < 1024) buffer->fail("expected at least 1KiB: one event must fit");
  }
  return target;
}

DirectResponse parse_direct_response(const Mapping& map) {
  DirectResponse response;
  response.status = static_cast<int>(map.required("status").integer(100, 599));
  if (auto body = map.optional("body")) response.body = body->string();
  if (auto content_type = map.optional("content_type")) {
    response.content_type = content_type->string();
    const bool printable = std::all_of(response.content_type.begin(), response.content_type.end(),
                                       [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
    if (response.content_type.empty() || !printable) content_type->fail("expected a media type like application/json");
  }
  return response;
}

void reject_keys(const Mapping& map, std::initializer_list<std::string_view> keys, std::string_view why) {
  for (const std::string_view key : keys) {
    if (map.has(key)) map.fail_at_key(key, "'" + std::string(key) + "' " + std::string(why));
  }
}

// {service, operation}: checked against the WSDLs once they are loaded.
SoapOperationName parse_soap_operation(const ConfigNode& node) {
  const Mapping map(node, {"service", "operation"});
  SoapOperationName name{map.required("service").name(), map.required("operation").name(), node.mark(), node.path()};
  return name;
}

UpstreamTarget parse_upstream_target(const Mapping& map, const Config& config,
                                     const std::variant<HttpSource, TopicSource>& from) {
  reject_keys(map, {"broker", "topic", "key", "exchange", "routing_key", "reply", "status", "body", "content_type"},
              "does not go with 'upstream'");
  UpstreamTarget target;
  const ConfigNode upstream = map.required("upstream");
  target.upstream = upstream.string();
  const Upstream* to = config.find_upstream(target.upstream);
  if (!to) fail_unknown(upstream, "upstream", config.upstreams);
  if (auto timeout = map.optional("timeout")) {
    target.timeout = timeout->duration();
    if (*target.timeout <= Duration::zero()) timeout->fail("expected a duration greater than 0");
  }
  if (to->type == "grpc") {
    const auto* http = std::get_if<HttpSource>(&from);
    reject_keys(map, {"soap"}, "is for HTTP upstreams; a gRPC upstream is called by 'rpc'");
    reject_keys(map, {"method", "path"}, "is for HTTP upstreams; a gRPC upstream is called by 'rpc'");
    // From a gRPC listener the call's own method is the default.
    if (http && http->rpc && !map.has("rpc")) return target;
    // Without a path, every method of a service may bring its own bindings.
    target.rpc = parse_rpc(map.required("rpc"), http && http->annotated);
    return target;
  }
  if (map.has("rpc")) map.fail_at_key("rpc", "'rpc' is for gRPC upstreams; '" + target.upstream + "' speaks HTTP");
  if (auto soap = map.optional("soap")) {
    if (map.has("method")) map.fail_at_key("method", "a SOAP operation is always called with POST");
    target.soap = parse_soap_operation(*soap);
  }
  if (auto method = map.optional("method")) target.method = parse_method(*method);
  // A delivery needs a path (a SOAP one has its soap:address); a forward passes the
  // request's own path on unless given one.
  const std::optional<ConfigNode> path = std::holds_alternative<TopicSource>(from) && !target.soap
                                             ? std::optional(map.required("path"))
                                             : map.optional("path");
  if (path) {
    target.path = parse_template(*path, from, config);
    if (!target.path->text().starts_with("/")) path->fail("expected a path starting with '/'");
  }
  return target;
}

// The target decides the mode: a topic makes an event (or a request with its reply),
// a status a direct response, an upstream a delivery.
std::variant<TopicTarget, DirectResponse, UpstreamTarget> parse_target(
    const ConfigNode& node, const Config& config, const std::variant<HttpSource, TopicSource>& path) {
  const Mapping map(node, {"broker", "topic", "key", "exchange", "routing_key", "reply", "timeout", "status", "body",
                           "content_type", "upstream", "method", "path", "rpc", "soap", "stream", "heartbeat",
                           "client_buffer"});
  if (const auto* http = std::get_if<HttpSource>(&path); http && http->soap) {
    if (map.has("status") || map.has("body") || map.has("content_type")) {
      node.fail(std::string(kSoapListenerTargets) + " (a direct response is not supported)");
    }
  }
  if (!map.has("broker") && !map.has("topic") && !map.has("exchange")) {
    reject_keys(map, {"stream", "heartbeat", "client_buffer"}, "goes with a broker's topic or exchange");
  }
  if (map.has("upstream")) return parse_upstream_target(map, config, path);
  if (std::holds_alternative<TopicSource>(path)) {
    // A bridge: messages go on to a topic or exchange, acknowledged once stored there.
    reject_keys(map, {"method", "path", "rpc", "soap", "status", "body", "content_type"}, "does not go with a bridge");
    reject_keys(map, {"reply", "timeout"}, "does not go with a route from a broker: replies follow each message's reply-to");
    reject_keys(map, {"stream", "heartbeat", "client_buffer"}, "is for routes of an HTTP listener");
    return parse_topic_target(map, config, path);
  }
  reject_keys(map, {"method", "path", "rpc", "soap"}, "goes with 'upstream'");
  const auto& http = std::get<HttpSource>(path);
  if (http.rpc && (map.has("status") || map.has("body") || map.has("content_type"))) {
    node.fail("a route from a gRPC listener goes to a topic or an upstream");
  }
  const bool topic = map.has("topic") || map.has("exchange");
  const bool status = map.has("status");
  if (topic && status) node.fail("expected either 'topic' or 'status', not both");
  if (topic || (!status && (map.has("broker") || map.has("key") || map.has("routing_key") || map.has("reply")))) {
    reject_keys(map, {"body", "content_type"}, "only goes with 'status'");
    return parse_topic_target(map, config, path);
  }
  if (status || map.has("body") || map.has("content_type")) {
    reject_keys(map, {"broker", "key", "routing_key", "reply", "timeout"}, "only goes with 'topic'");
    return parse_direct_response(map);
  }
  node.fail("expected either 'topic' or 'status'");
}

std::optional<Mode> parse_mode(const ConfigNode& node) {
  // The modes the design names but Causeway lacks read "not implemented", not "unknown".
  const std::optional<Mode> mode = node.one_of<std::optional<Mode>>(
      {{"event", Mode::event}, {"request-reply", Mode::request_reply}, {"direct_response", Mode::direct_response},
       {"delivery", Mode::delivery}, {"forward", Mode::forward}, {"transcode", Mode::transcode},
       {"bridge", Mode::bridge}, {"stream", Mode::stream}});
  if (!mode) node.fail("mode '" + node.string() + "' is not implemented yet");
  return mode;
}

// Set by Causeway: the defaults, "ce_" attributes, and the broker's own names for them.
bool is_reserved_header(std::string_view name, const WireHeaders& wire) {
  if (name.starts_with("ce_")) return true;
  for (std::string_view reserved : kReservedHeaders) {
    if (name == reserved) return true;
  }
  for (std::string_view renamed : {wire.correlation_id, wire.reply_to, wire.reply_partition, wire.status}) {
    if (same_name(name, renamed)) return true;
  }
  return false;
}

std::string parse_header_name(const ConfigNode& node, const WireHeaders& wire) {
  std::string name = node.string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!is_token(name)) node.fail("expected a header name like x-tenant");
  if (is_reserved_header(name, wire)) node.fail("'" + name + "' is set by Causeway");
  return name;
}

std::vector<std::string> parse_headers(const ConfigNode& node, const WireHeaders& wire) {
  std::vector<std::string> headers;
  for (const ConfigNode& item : node.list()) {
    std::string name = parse_header_name(item, wire);
    if (std::find(headers.begin(), headers.end(), name) != headers.end()) item.fail("header '" + name + "' is listed twice");
    headers.push_back(std::move(name));
  }
  return headers;
}

CloudEvents parse_cloudevents(const std::optional<ConfigNode>& node, const std::string& route) {
  CloudEvents attributes{route, "/causeway/" + route};
  if (!node) return attributes;
  const Mapping map(*node, {"type", "source"});
  if (auto type = map.optional("type")) attributes.type = non_empty_string(*type);
  if (auto source = map.optional("source")) attributes.source = non_empty_string(*source);
  return attributes;
}

// headers, envelope and cloudevents shape the message, so only routes to a topic take them.
void parse_message_options(const Mapping& map, Route& route, const Config& config) {
  const auto* target = std::get_if<TopicTarget>(&route.to);
  if (!target || route.mode == Mode::bridge) {
    // A bridge passes each message on with the headers it has.
    reject_keys(map, {"headers", "envelope", "cloudevents"}, "applies to routes from a listener to a topic only");
    return;
  }
  if (route.mode == Mode::stream) {
    reject_keys(map, {"headers", "envelope", "cloudevents"}, "shapes a message produced; a stream route only reads");
    return;
  }
  if (auto headers = map.optional("headers")) {
    route.headers = parse_headers(*headers, config.find_broker(target->broker)->headers);
  }
  if (auto envelope = map.optional("envelope")) {
    route.envelope = envelope->one_of<Envelope>({{"none", Envelope::none}, {"cloudevents", Envelope::cloudevents}});
  }
  if (route.envelope == Envelope::cloudevents) {
    route.cloudevents = parse_cloudevents(map.optional("cloudevents"), route.name);
  } else if (map.has("cloudevents")) {
    map.fail_at_key("cloudevents", "'cloudevents' needs 'envelope: cloudevents'");
  }
}

RetryPolicy::On parse_retry_on(const ConfigNode& node) {
  RetryPolicy::On on;
  on.statuses.clear();
  on.connect_failure = on.reset = on.timeout = false;
  for (const ConfigNode& item : node.list()) {
    const std::string word = item.string();
    if (word == "5xx") {
      on.any_5xx = true;
    } else if (word == "connect-failure") {
      on.connect_failure = true;
    } else if (word == "reset") {
      on.reset = true;
    } else if (word == "timeout") {
      on.timeout = true;
    } else if (!word.empty() && word.find_first_not_of("0123456789") == std::string::npos) {
      on.statuses.push_back(static_cast<int>(item.integer(100, 599)));
    } else {
      item.fail("expected 5xx, connect-failure, reset, timeout or an HTTP status");
    }
  }
  return on;
}

RetryPolicy parse_retry(const ConfigNode& node, bool forward, RetryPolicy retry = {}) {
  const Mapping map(node, forward ? std::initializer_list<std::string_view>{"attempts", "backoff", "max_backoff", "retry_on"}
                                  : std::initializer_list<std::string_view>{"attempts", "backoff", "max_backoff"});
  if (auto on = map.optional("retry_on")) retry.on = parse_retry_on(*on);
  if (auto attempts = map.optional("attempts")) retry.attempts = static_cast<int>(attempts->integer(1, 1000000));
  if (auto backoff = map.optional("backoff")) retry.backoff = backoff->duration();
  if (auto max_backoff = map.optional("max_backoff")) {
    retry.max_backoff = max_backoff->duration();
    if (retry.max_backoff < retry.backoff) max_backoff->fail("expected at least the backoff");
  } else {
    retry.max_backoff = std::max(retry.max_backoff, retry.backoff);
  }
  return retry;
}

RouteLimits parse_route_limits(const ConfigNode& node) {
  const Mapping map(node, {"concurrency", "rate", "burst"});
  RouteLimits limits;
  if (auto concurrency = map.optional("concurrency")) limits.concurrency = concurrency->integer(1, 10000000);
  auto positive = [](const ConfigNode& value) {
    double number = 0;
    const std::string text = value.string();
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc{} || end != text.data() + text.size() || !(number > 0)) {
      value.fail("expected a number greater than 0");
    }
    return number;
  };
  if (auto rate = map.optional("rate")) limits.rate = positive(*rate);
  if (auto burst = map.optional("burst")) {
    if (!limits.rate) map.fail_at_key("burst", "'burst' needs 'rate'");
    limits.burst = positive(*burst);
  }
  return limits;
}

// A dead letter destination: a name, or { exchange: NAME } (in the broker's word for
// where messages go); the node of the name.
ConfigNode dead_letter_name(const ConfigNode& node, const RouteWords& words) {
  const ConfigNode name = node.yaml().IsMap() ? Mapping(node, {words.destination}).required(words.destination) : node;
  const std::string text = name.string();
  if (!(text.empty() && words.empty_destination)) check_name(name, words, text);
  return name;
}

CallbackSecret parse_callback_secret(const ConfigNode& node) {
  CallbackSecret secret{node.string(), node.mark(), node.path()};
  if (!secret.value.starts_with("whsec_")) node.fail("expected a Standard Webhooks secret, whsec_<base64 of the key>");
  return secret;
}

// callback: on request-reply routes from an HTTP listener.
void parse_callback(const Mapping& route_map, Route& route, const Config& config) {
  const auto node = route_map.optional("callback");
  if (!node) return;
  const auto* http = route.http_source();
  if (route.mode != Mode::request_reply || !http || http->rpc) {
    route_map.fail_at_key("callback", "'callback' applies to request-reply routes from an HTTP listener");
  }
  const Mapping map(*node, {"header", "allow", "secret", "retry", "timeout", "dead_letter"});
  Callback callback;
  if (auto header = map.optional("header")) {
    callback.header = lower_case(header->string());
    if (!is_token(callback.header)) header->fail("expected a header name like Callback-Url");
  }
  // Without an allow list any URL could be called, the proxy's own network included.
  if (!map.has("allow")) node->fail("a callback needs 'allow': the URLs it may call (nothing else is called)");
  const ConfigNode allow = map.required("allow");
  for (const ConfigNode& item : allow.list()) {
    auto rule = policy::parse_allow_rule(item.string());
    if (auto* problem = std::get_if<std::string>(&rule)) item.fail(*problem);
    callback.allow.push_back(std::get<policy::AllowRule>(std::move(rule)));
  }
  if (callback.allow.empty()) allow.fail("expected at least one URL pattern");
  if (!map.has("secret")) node->fail("a callback needs 'secret': whsec_<base64>, or a list of them during a rotation");
  const ConfigNode secret = map.required("secret");
  if (secret.yaml().IsSequence()) {
    for (const ConfigNode& item : secret.list()) callback.secrets.push_back(parse_callback_secret(item));
    if (callback.secrets.empty()) secret.fail("expected at least one secret");
  } else {
    callback.secrets.push_back(parse_callback_secret(secret));
  }
  if (auto retry = map.optional("retry")) callback.retry = parse_retry(*retry, false, callback.retry);
  if (auto timeout = map.optional("timeout")) {
    callback.timeout = timeout->duration();
    if (callback.timeout <= Duration::zero()) timeout->fail("expected a duration greater than 0");
  }
  if (auto dead_letter = map.optional("dead_letter")) {
    const auto& target = std::get<TopicTarget>(route.to);
    callback.dead_letter = dead_letter_name(*dead_letter, words_of(config, target.broker)).string();
  }
  route.callback = std::move(callback);
}

// retry, dead_letter, concurrency and max_buffered shape deliveries (retry also
// forwards); limits apply to requests from a listener.
void parse_delivery_options(const Mapping& map, Route& route, const Config& config) {
  if (route.http_source()) {
    if (auto limits = map.optional("limits")) route.limits = parse_route_limits(*limits);
  } else if (map.has("limits")) {
    map.fail_at_key("limits", "'limits' applies to routes from a listener");
  }
  if (route.mode == Mode::forward && route.http_source()->rpc) {
    reject_keys(map, {"retry", "dead_letter", "concurrency", "max_buffered"},
                "applies to HTTP forwards and routes from a topic only");
    return;
  }
  if (route.mode == Mode::forward) {
    reject_keys(map, {"dead_letter", "concurrency", "max_buffered"}, "applies to routes from a topic only");
    route.retry.attempts = 1;  // a forward is tried once unless the route asks for retries
    if (auto retry = map.optional("retry")) route.retry = parse_retry(*retry, true);
    return;
  }
  if (route.mode != Mode::delivery && route.mode != Mode::bridge) {
    reject_keys(map, {"retry", "dead_letter", "concurrency", "max_buffered"}, "applies to routes from a topic only");
    return;
  }
  if (auto retry = map.optional("retry")) route.retry = parse_retry(*retry, false);
  if (auto dead_letter = map.optional("dead_letter")) {
    const RouteWords& words = words_of(config, route.topic_source()->broker);
    const ConfigNode name = dead_letter_name(*dead_letter, words);
    route.dead_letter = name.string();
    if (words.destination == words.source && *route.dead_letter == route.topic_source()->topic) {
      name.fail("expected a topic other than the one read");
    }
  }
  if (auto concurrency = map.optional("concurrency")) route.concurrency = concurrency->integer(1, 100000);
  if (auto buffered = map.optional("max_buffered")) route.max_buffered = buffered->integer(1, 10000000);
}

// encoding: how a gRPC message travels on a topic, for routes between the two.
void parse_encoding(const Mapping& map, Route& route, const Config& config) {
  const auto encoding = map.optional("encoding");
  if (!encoding) return;
  const auto* http = route.http_source();
  const auto* upstream = std::get_if<UpstreamTarget>(&route.to);
  const bool grpc_to_topic = http && http->rpc && std::holds_alternative<TopicTarget>(route.to);
  const bool topic_to_grpc = route.topic_source() && upstream && config.find_upstream(upstream->upstream)->type == "grpc";
  if (!grpc_to_topic && !topic_to_grpc) {
    map.fail_at_key("encoding", "'encoding' applies to routes from a gRPC listener to a topic, or from a topic to a gRPC upstream");
  }
  route.encoding = encoding->one_of<Encoding>({{"protobuf", Encoding::protobuf}, {"json", Encoding::json}});
}

ParsedRoute parse_route(const ConfigNode& node, const Config& config) {
  const Mapping map(node, {"name", "mode", "from", "to", "headers", "envelope", "cloudevents", "limits", "retry",
                           "dead_letter", "concurrency", "max_buffered", "encoding", "callback"});
  Route route;
  route.mark = node.mark();
  const ConfigNode name = map.required("name");
  route.name = name.name();
  const std::optional<ConfigNode> mode_node = map.optional("mode");
  const std::optional<Mode> declared = mode_node ? parse_mode(*mode_node) : std::nullopt;
  ParsedSource source = parse_source(map.required("from"), config);
  route.from = std::move(source.source);
  route.to = parse_target(map.required("to"), config, route.from);
  if (const auto* http = route.http_source(); http && http->annotated) {
    const auto* upstream = std::get_if<UpstreamTarget>(&route.to);
    if (!upstream || !upstream->rpc) source.where.fail("missing required key 'path'");
  }
  if (const auto* target = std::get_if<TopicTarget>(&route.to); target && route.topic_source()) {
    route.mode = Mode::bridge;
  } else if (target) {
    route.mode = target->stream ? Mode::stream : target->reply ? Mode::request_reply : Mode::event;
  } else if (const auto* upstream = std::get_if<UpstreamTarget>(&route.to)) {
    // HTTP to HTTP and gRPC to gRPC forward; across the two they transcode.
    const bool grpc_upstream = config.find_upstream(upstream->upstream)->type == "grpc";
    if (route.topic_source()) {
      route.mode = Mode::delivery;
    } else {
      const auto* http = route.http_source();
      route.mode = grpc_upstream == http->rpc.has_value() && !upstream->soap && !http->soap ? Mode::forward
                                                                                             : Mode::transcode;
    }
  } else {
    route.mode = Mode::direct_response;
  }
  if (declared && *declared != route.mode) {
    mode_node->fail("mode is '" + std::string(to_string(*declared)) + "' but from/to make it '" +
                    std::string(to_string(route.mode)) + "'");
  }
  parse_message_options(map, route, config);
  parse_delivery_options(map, route, config);
  parse_encoding(map, route, config);
  parse_callback(map, route, config);
  return ParsedRoute{std::move(route), name, source.where};
}

// The route names seen so far, each with the line it was first given at.
class RouteNames {
 public:
  void add(const ParsedRoute& route) {
    const auto [first, inserted] = lines_.try_emplace(route.route.name, route.name.mark().line);
    if (inserted) return;
    route.name.fail("duplicate route name '" + route.route.name + "' (first at line " + std::to_string(first->second) +
                    ")");
  }

 private:
  std::unordered_map<std::string, int> lines_;
};

// Reports the clash that appears first in the file, whichever listener it is on: the
// routes of every listener are compared in one pass each, in file order.
void check_ambiguity(const std::vector<ParsedRoute>& routes) {
  std::unordered_map<std::string_view, std::vector<routing::RouteEntry>> by_listener;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const HttpSource* from = routes[i].route.http_source();
    // Annotated routes' paths are known with the protos: config_check.h compares those.
    // SOAP routes may share a path (told apart by action or body element); their default paths come with the WSDLs.
    if (from && !from->annotated && !from->soap) by_listener[from->listener].push_back(routing::RouteEntry{i, from->method, from->path});
  }
  std::optional<std::pair<std::size_t, std::size_t>> first;
  for (const auto& [listener, entries] : by_listener) {
    const std::optional<routing::Ambiguity> found = routing::RouteTable::find_ambiguity(entries);
    if (!found) continue;
    const std::size_t earlier = entries[found->first].route;
    const std::size_t later = entries[found->second].route;
    if (!first || later < first->second) first = std::pair{earlier, later};
  }
  if (!first) return;
  const auto [earlier, later] = *first;
  routes[later].path.fail("ambiguous with route '" + routes[earlier].route.name + "' (routes[" +
                          std::to_string(earlier) + "]): both match the same requests");
}

}  // namespace

std::vector<Route> parse_routes(const ConfigNode& node, const Config& config) {
  std::vector<ParsedRoute> parsed;
  RouteNames names;
  for (const ConfigNode& item : node.list()) {
    parsed.push_back(parse_route(item, config));
    names.add(parsed.back());
  }
  check_ambiguity(parsed);
  std::vector<Route> routes;
  for (ParsedRoute& route : parsed) routes.push_back(std::move(route.route));
  return routes;
}

}  // namespace causeway::config
