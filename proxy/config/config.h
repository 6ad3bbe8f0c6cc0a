#pragma once
// The validated, immutable configuration. Defaults live in the member initializers;
// config_loader.h turns a YAML file into these structs or a ConfigError.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "config/broker_settings.h"
#include "policy/callback_url.h"
#include "routing/path_template.h"
#include "routing/value_template.h"

namespace causeway::config {

using Duration = std::chrono::milliseconds;
using namespace std::chrono_literals;

// Where a value was written, 1-based; line 0 when it came from a default.
struct Mark {
  int line = 0;
  int column = 0;
  // Where a value was written is not part of it: a reload that only moved lines
  // changes nothing, so every config value compares equal whatever its marks.
  friend bool operator==(const Mark&, const Mark&) { return true; }
};

struct Endpoint {
  std::string host;  // IPv4/IPv6 literal or a name; "[::1]" is written without brackets here
  std::uint16_t port = 0;
  std::string text() const;  // "host:port", "[v6]:port"
  bool operator==(const Endpoint&) const = default;
};

struct HttpLimits {
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_headers = 100;
  std::size_t max_body_bytes = 1024 * 1024;
  Duration header_timeout = 10s;
  Duration body_timeout = 30s;
  Duration idle_timeout = 60s;
  std::size_t max_connections = 10000;
  bool operator==(const HttpLimits&) const = default;
};

enum class Protocol { http, grpc };

// A gRPC listener's bounds (DESIGN.md "Limits"). grpc 1.51 predates the HTTP/2
// rapid-reset fixes, so the stream bound and the connection age are its defence.
struct GrpcLimits {
  int max_concurrent_streams = 100;             // per connection
  std::size_t max_message_bytes = 4 * 1024 * 1024;  // received and sent; RESOURCE_EXHAUSTED beyond
  std::size_t max_metadata_bytes = 16 * 1024;
  Duration max_connection_age = 30min;          // then GOAWAY, with a grace for calls in flight
  Duration max_connection_idle = Duration::zero();  // 0: idle connections stay
  Duration min_ping_interval = 10s;             // clients pinging more often are sent away
  bool operator==(const GrpcLimits&) const = default;
};

// A file the config names, with where it was named: a problem with what the file
// holds is reported at that setting.
struct FileSetting {
  std::string path;  // after ${...}; a relative one is joined to the config file's directory
  Mark mark;
  bool operator==(const FileSetting&) const = default;
};

// tls: on a listener makes it HTTPS.
struct ListenerTls {
  FileSetting cert;                      // certificate chain, PEM, the server's own first
  FileSetting key;                       // its private key, PEM, unencrypted
  std::optional<FileSetting> client_ca;  // CAs that client certificates are verified against
  bool require_client_cert = true;       // with client_ca: refuse clients without a certificate
  bool operator==(const ListenerTls&) const = default;
};

struct Listener {
  std::string name;
  Protocol protocol = Protocol::http;
  Endpoint listen;
  HttpLimits limits;              // HTTP listeners
  GrpcLimits grpc_limits;         // gRPC listeners
  std::optional<ListenerTls> tls;
  Mark mark;
};

struct Admin {
  Endpoint listen{"127.0.0.1", 9901};
};

struct BrokerOption {
  std::string name;   // a librdkafka property, e.g. "linger.ms"
  std::string value;  // as written; scalars are kept as their text
  Mark mark;
  bool operator==(const BrokerOption& other) const { return name == other.name && value == other.value; }
};

// The names of the headers Causeway writes and reads, so it can talk to peers with
// other conventions (Spring: kafka_correlationId, kafka_replyTopic, kafka_replyPartition).
// RabbitMQ carries the first three as AMQP properties; the adapter maps them.
struct WireHeaders {
  enum class PartitionEncoding { decimal, int32 };  // int32: 4 bytes big-endian, as Spring sends it
  std::string correlation_id = "correlation-id";
  std::string reply_to = "reply-to";
  std::string reply_partition = "reply-partition";
  std::string status = "status";
  PartitionEncoding reply_partition_encoding = PartitionEncoding::decimal;
  bool operator==(const WireHeaders&) const = default;
};

// A broker entry: what every kind has; the rest is the kind's own (broker_settings.h).
struct Broker {
  std::string name;
  std::string type = "kafka";
  WireHeaders headers;
  std::shared_ptr<const BrokerSettings> settings;  // parsed by the kind registered for `type`
  Mark mark;

  // Same kind, same values: a reload keeps its client.
  bool operator==(const Broker& other) const {
    return name == other.name && type == other.type && headers == other.headers && settings && other.settings &&
           settings->equals(*other.settings);
  }
  // The settings of the adapter that parsed them, or null for another kind.
  template <typename Settings>
  const Settings* settings_as() const {
    return dynamic_cast<const Settings*>(settings.get());
  }
};

// TLS to an https:// upstream.
struct UpstreamTls {
  std::optional<FileSetting> ca;  // none: the system's trust store
  bool verify = true;             // false: any certificate is accepted (logged as a warning)
  std::string server_name;        // sent as SNI and verified; the url's host unless set
  std::optional<FileSetting> cert;  // a client certificate (mTLS), with its key
  std::optional<FileSetting> key;
  bool operator==(const UpstreamTls&) const = default;
};

// A local service Causeway calls: for delivery, forwarding and transcoding.
struct Upstream {
  std::string name;
  std::string type = "http";  // http | grpc
  std::string scheme = "http";  // http | https
  std::string host;           // from url: (http) or address: (grpc, always plaintext HTTP/2)
  std::uint16_t port = 0;
  std::string base_path;      // the url's path, prefixed to every request path; "" for none
  Duration timeout = 10s;           // whole request: connect, send, receive
  Duration connect_timeout = 2s;
  std::size_t max_connections = 64;  // per upstream; requests beyond wait for one
  std::size_t max_response_bytes = 16 * 1024 * 1024;
  Duration idle_timeout = 60s;       // pooled connections unused this long are closed
  // Consecutive failures that open the circuit breaker (503 at once), and for how long;
  // none: no breaker.
  struct Breaker {
    int failures = 5;
    Duration open_for = 10s;
    bool operator==(const Breaker&) const = default;
  };
  std::optional<Breaker> circuit_breaker;
  std::optional<UpstreamTls> tls;    // set exactly when the scheme is https
  Mark mark;
  bool operator==(const Upstream&) const = default;
};

// A gRPC method named in a route: "pkg.Service/Method", or "pkg.Service/*" for every
// method of a service (routes from a gRPC listener only).
struct RpcName {
  std::string name;
  Mark mark;
  std::string where;  // its key path, "routes[2].from.rpc", for errors found with the protos
  bool any_method() const { return name.ends_with("/*"); }
  bool operator==(const RpcName&) const = default;
};

// A SOAP operation of the loaded WSDLs (`soap:`), named in a route.
struct SoapOperationName {
  std::string service;
  std::string operation;
  Mark mark;
  std::string where;  // its key path, "routes[2].to.soap", for errors found with the WSDLs
  bool operator==(const SoapOperationName&) const = default;
};

struct HttpSource {
  std::string listener;
  std::optional<std::string> method;  // upper-case; nullopt = any method
  // From a gRPC listener the path is the call's, "/pkg.Service/Method" (or
  // "/pkg.Service/{method}" for rpc: pkg.Service/*), and the method POST.
  routing::PathTemplate path;
  std::optional<RpcName> rpc;  // set exactly for routes from a gRPC listener
  // No path: REST -> gRPC routes whose paths and methods are the google.api.http
  // bindings of the methods they call (known once the protos are loaded).
  bool annotated = false;
  // A SOAP listener's operation: POSTed envelopes (and GET ?wsdl) on the path, which is
  // the WSDL port's soap:address path unless given (then wsdl_path is set).
  std::optional<SoapOperationName> soap;
  bool wsdl_path = false;
  bool operator==(const HttpSource&) const = default;
};

// from: a broker. Kafka: {broker, topic, group}, a consumer group member reading the
// topic. RabbitMQ: {broker, queue, bind}, a consumer of the queue, bound as listed.
struct TopicSource {
  std::string broker;
  std::string topic;  // Kafka: the topic; RabbitMQ: the queue
  std::string group;  // Kafka only
  struct Binding {
    std::string exchange;
    std::string routing_key;
    bool operator==(const Binding&) const = default;
  };
  std::vector<Binding> bind;               // RabbitMQ only: declared for the queue
  std::optional<std::string> key_header;   // RabbitMQ: messages of one value of it go in order; else the routing key
  bool operator==(const TopicSource&) const = default;
};

// to: a broker. Kafka: {broker, topic, key, reply}; RabbitMQ: {broker, exchange,
// routing_key, reply}, kept in the same fields.
struct TopicTarget {
  std::string broker;
  routing::ValueTemplate topic;                // Kafka: the topic; RabbitMQ: the exchange ("" the default)
  std::optional<routing::ValueTemplate> key;   // Kafka: the message key; RabbitMQ: the routing key
  std::optional<std::string> reply;  // request-reply: Kafka's reply topic; RabbitMQ: "direct" or a reply queue
  Duration timeout = 15s;            // request-reply: how long to wait for the reply
  // stream: sse: a GET answered with the messages from now on as server-sent events;
  // stream: grpc: a server-streaming rpc answered with them as response messages.
  // `key` then picks the messages of one key.
  struct Stream {
    enum class Framing { sse, grpc };
    Framing framing = Framing::sse;
    Duration heartbeat = 15s;                // sse: a comment line after this long without an event
    std::size_t client_buffer = 256 * 1024;  // bytes held for a client that reads slower than events come
    // grpc: the key's variables are fields of the request message, checked once the
    // protos are loaded; this is where the key is, for those errors.
    Mark key_mark;
    std::string key_where;
    bool operator==(const Stream&) const = default;
  };
  std::optional<Stream> stream;
  bool operator==(const TopicTarget&) const = default;
};

// Answers from the proxy itself, without calling anything (like Envoy's direct_response).
struct DirectResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  bool operator==(const DirectResponse&) const = default;
};

// to: {upstream, method, path}: a call to a local service. From a topic (delivery):
// the method defaults to POST and the path may use topic, partition, offset, key.
// From a listener (forward): the request's own method and path unless given, the
// path's captures in the template.
struct UpstreamTarget {
  std::string upstream;
  std::optional<std::string> method;
  std::optional<routing::ValueTemplate> path;
  std::optional<Duration> timeout;  // instead of the upstream's
  // A gRPC upstream's method; from a gRPC listener it may be left out: the call's own.
  std::optional<RpcName> rpc;
  // A SOAP upstream's operation: the JSON body becomes its envelope (path: its soap:address unless given).
  std::optional<SoapOperationName> soap;
  bool operator==(const UpstreamTarget&) const = default;
};

struct RetryPolicy {
  int attempts = 5;  // deliveries before the message is dead-lettered; forward: 1 unless retry is set
  Duration backoff = 200ms;
  Duration max_backoff = 10s;
  // Forward: which failures are retried (idempotent methods only, and never once the
  // request body was streamed): 5xx, or a status, and connect-failure, reset, timeout.
  struct On {
    bool any_5xx = false;
    std::vector<int> statuses{502, 503, 504};
    bool connect_failure = true;
    bool reset = true;
    bool timeout = false;
    bool operator==(const On&) const = default;
  } on;
  bool operator==(const RetryPolicy&) const = default;
};

// callback: on a request-reply route: the reply is POSTed to the URL a request names
// in `header`, signed, when the URL matches `allow` (DESIGN.md "Callbacks and streams").
struct CallbackSecret {
  std::string value;  // "whsec_<base64>", after ${...}; never shown on /config
  Mark mark;
  std::string where;  // its key path, for the check of its base64 (server/config_check.h)
  bool operator==(const CallbackSecret&) const = default;
};

struct Callback {
  std::string header = "callback-url";   // lower-case
  std::vector<policy::AllowRule> allow;  // never empty
  std::vector<CallbackSecret> secrets;   // several while a key is rotated: each signs
  RetryPolicy retry{8, 1s, 5min, {}};
  Duration timeout = 10s;                 // per attempt: connect, send, answer
  std::optional<std::string> dead_letter;  // topic (exchange) on the route's broker
  bool operator==(const Callback&) const = default;
};

// Per route: requests at once and a token bucket; beyond either, 429 with Retry-After.
struct RouteLimits {
  std::optional<std::size_t> concurrency;
  std::optional<double> rate;   // requests a second
  std::optional<double> burst;  // default: the rate (at least 1)
  bool operator==(const RouteLimits&) const = default;
};

// transcode: between an HTTP/JSON side and a gRPC/protobuf side (REST -> gRPC
// upstream, gRPC listener -> HTTP upstream); gRPC -> gRPC is a forward.
// bridge: from one broker to another (or the same), with delivery's guarantees.
// stream: a GET answered with a topic's or exchange's messages as server-sent events,
// or a server-streaming gRPC call answered with them as response messages.
enum class Mode { event, request_reply, direct_response, delivery, forward, transcode, bridge, stream };

// How a message on a topic carries a gRPC message: its protobuf bytes, or the proto3
// JSON mapping of it. For routes between a gRPC side and a topic.
enum class Encoding { protobuf, json };

enum class Envelope { none, cloudevents };

struct CloudEvents {
  std::string type;    // ce_type; default: the route's name
  std::string source;  // ce_source; default: "/causeway/<route>"
  bool operator==(const CloudEvents&) const = default;
};

struct Route {
  std::string name;
  Mode mode = Mode::event;
  std::variant<HttpSource, TopicSource> from;
  std::variant<TopicTarget, DirectResponse, UpstreamTarget> to;
  std::vector<std::string> headers;  // request headers copied onto the message, lower-case
  Envelope envelope = Envelope::none;
  CloudEvents cloudevents;
  RouteLimits limits;  // routes from a listener
  Encoding encoding = Encoding::protobuf;
  // Delivery, bridge and forward routes:
  RetryPolicy retry;
  std::optional<std::string> dead_letter;  // topic; without one a failing message is retried forever
  std::size_t concurrency = 16;            // deliveries at once; one at a time per key
  std::size_t max_buffered = 1000;         // messages held per partition before it is paused
  std::optional<Callback> callback;        // request-reply routes
  Mark mark;

  const HttpSource* http_source() const { return std::get_if<HttpSource>(&from); }
  const TopicSource* topic_source() const { return std::get_if<TopicSource>(&from); }
  bool operator==(const Route&) const = default;
};

// Bounds on request-reply bookkeeping, shared by every route.
struct Replies {
  std::size_t max_pending = 100000;           // requests waiting at once; 503 beyond
  Duration keep = 5min;                       // replies kept for Location polls and Idempotency-Key replays
  std::size_t max_kept_bytes = 64 * 1024 * 1024;  // oldest kept replies dropped first beyond this
};

// Where gRPC routes find their message types (.proto files or descriptor sets).
struct Protos {
  std::vector<FileSetting> files;
  std::vector<std::string> include;  // import paths for .proto files; "." when none
  Mark mark;
};

// Where SOAP routes find their operations (WSDL 1.1 files, document/literal).
struct SoapFiles {
  std::vector<FileSetting> files;
  Mark mark;
};

// Paths under this prefix belong to Causeway on listeners with request-reply routes.
inline constexpr std::string_view kReplyPathPrefix = "/_causeway/replies/";

struct Config {
  std::string file;  // as given on the command line
  Admin admin;
  Duration drain_timeout = 15s;
  Replies replies;
  std::optional<Protos> protos;
  std::optional<SoapFiles> soap;
  std::vector<Listener> listeners;  // in file order
  std::vector<Broker> brokers;
  std::vector<Upstream> upstreams;
  std::vector<Route> routes;

  const Listener* find_listener(std::string_view name) const;
  const Broker* find_broker(std::string_view name) const;
  const Upstream* find_upstream(std::string_view name) const;
};

std::string_view to_string(Protocol protocol);
std::string_view to_string(Mode mode);

}  // namespace causeway::config
