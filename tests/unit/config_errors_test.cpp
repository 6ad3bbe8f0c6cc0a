// Broken configs and the exact message each gives: file, line, column, key path, problem.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "config/config_loader.h"
#include "routing/path_template.h"
#include "routing/value_template.h"

namespace causeway::config {
namespace {

// Lines 1-5 of every route case; the routes start on line 6.
const std::string kHead =
    "listeners:\n"
    "  public: { protocol: http, listen: 0.0.0.0:8080 }\n"
    "brokers:\n"
    "  events: { bootstrap: embedded }\n"
    "routes:\n";

// Lines 6-8: a valid route that cases append to or vary.
const std::string kRoute =
    "  - name: a\n"
    "    from: { listener: public, method: POST, path: \"/orders/{customer}/events\" }\n"
    "    to: { broker: events, topic: t }\n";

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "c.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

struct BrokenConfig {
  std::string name;
  std::string yaml;
  std::string error;
};

std::ostream& operator<<(std::ostream& out, const BrokenConfig& c) { return out << c.name; }

class ConfigErrors : public ::testing::TestWithParam<BrokenConfig> {};

TEST_P(ConfigErrors, SayWhereAndWhat) { EXPECT_EQ(error_of(GetParam().yaml), GetParam().error) << GetParam().yaml; }

const BrokenConfig kDocument[] = {
    {"top_level_list", "- a\n", "c.yaml:1:1: expected a mapping at the top level"},
    {"top_level_scalar_after_comment", "# nothing here\nhello\n", "c.yaml:2:1: expected a mapping at the top level"},
    {"empty_file", "", "c.yaml:1:1: expected a mapping at the top level"},
    {"syntax_error", "listeners: [a\n", "c.yaml:2:1: invalid YAML: end of sequence flow not found"},
    // yaml-cpp gives the position where its scanner stopped, past the end.
    {"nested_too_deeply", "routes: " + std::string(3000, '[') + std::string(3000, ']') + "\n",
     "c.yaml:1:6009: invalid YAML: nested too deeply"},
    {"two_documents", "admin: {}\n---\nadmin: {}\n", "c.yaml:2:1: expected a single YAML document"},
    // yaml-cpp 0.7's LoadAll loops forever on this one.
    {"stray_comma", ",\n", "c.yaml:1:1: expected a single YAML document"},
    {"trailing_document_marker", "admin: {}\n---\n", "c.yaml:2:1: expected a single YAML document"},
    {"key_not_a_string", "? [a]\n: b\n", "c.yaml:1:3: expected a string as the key"},
    // Control characters from the file are escaped: a NUL used to end what() there (found by config_load_fuzz).
    {"nul_in_an_escape", std::string("a: \"\\\0\"\n", 8), "c.yaml:1:7: invalid YAML: unknown escape character: \\x00"},
    {"control_characters_in_a_key", "\"a\\x01b\\x1b[31m\": 1\n",
     "c.yaml:1:1: a\\x01b\\x1b[31m: unknown key (expected one of: admin, drain_timeout, replies, protos, soap, "
     "listeners, brokers, upstreams, routes)"},
    {"unknown_top_level_key", "admin: {}\nlistners: {}\n",
     "c.yaml:2:1: listners: unknown key (expected one of: admin, drain_timeout, replies, protos, soap, listeners, brokers, upstreams, routes)"},
    {"protos_empty", "protos:\n  files: []\n",
     "c.yaml:2:3: protos.files: expected at least one .proto file or descriptor set"},
    {"protos_unknown_key", "protos:\n  file: [a.proto]\n",
     "c.yaml:2:3: protos.file: unknown key (expected one of: files, include)"},
    {"duplicate_top_level_key", "admin: {}\nadmin: {}\n", "c.yaml:2:1: admin: duplicate key"},
    {"drain_timeout_without_unit", "drain_timeout: 15\n",
     "c.yaml:1:16: drain_timeout: expected a duration like 250ms, 5s, 1m"},
    {"admin_listen", "admin:\n  listen: localhost\n", "c.yaml:2:11: admin.listen: expected host:port"},
    {"admin_unknown_key", "admin:\n  port: 9901\n", "c.yaml:2:3: admin.port: unknown key (expected one of: listen)"},
    {"admin_not_a_mapping", "admin: 127.0.0.1:9901\n", "c.yaml:1:8: admin: expected a mapping"},
};

const BrokenConfig kListeners[] = {
    {"listeners_list", "listeners: [public]\n", "c.yaml:1:12: listeners: expected a mapping"},
    {"listener_name", "listeners:\n  \"pub lic\": { protocol: http, listen: :8080 }\n",
     "c.yaml:2:3: listeners.pub lic: expected a name of letters, digits, '_', '.', '-'"},
    {"duplicate_listener", "listeners:\n  public: { protocol: http, listen: :8080 }\n  public: { protocol: http, listen: :8081 }\n",
     "c.yaml:3:3: listeners.public: duplicate key"},
    {"protocol_word", "listeners:\n  public: { protocol: tcp, listen: :8080 }\n",
     "c.yaml:2:23: listeners.public.protocol: expected one of: http, grpc"},
    {"grpc_listener_tls", "listeners:\n  rpc: { protocol: grpc, listen: :50051, tls: {} }\n",
     "c.yaml:2:42: listeners.rpc.tls: TLS on gRPC listeners is not supported yet; terminate it in front"},
    {"grpc_listener_http_limits", "listeners:\n  rpc: { protocol: grpc, listen: :50051, limits: { max_body: 1MiB } }\n",
     "c.yaml:2:52: listeners.rpc.limits.max_body: unknown key (expected one of: max_concurrent_streams, max_message, max_metadata, max_connection_age, max_connection_idle, min_ping_interval)"},
    {"missing_listen_flow", "listeners:\n  public: { protocol: http }\n",
     "c.yaml:2:11: listeners.public: missing required key 'listen'"},
    {"missing_listen_block", "listeners:\n  public:\n    protocol: http\n",
     "c.yaml:3:5: listeners.public: missing required key 'listen'"},
    {"listener_without_value", "listeners:\n  public:\n", "c.yaml:2:3: listeners.public: expected a mapping"},
    {"protocol_without_value", "listeners:\n  public:\n    protocol:\n    listen: :8080\n",
     "c.yaml:3:5: listeners.public.protocol: expected one of: http, grpc"},
    {"port_too_large", "listeners:\n  public: { protocol: http, listen: 0.0.0.0:70000 }\n",
     "c.yaml:2:37: listeners.public.listen: expected host:port"},
    {"limits_size", "listeners:\n  public:\n    protocol: http\n    listen: :8080\n    limits:\n      max_body: 1MB2\n",
     "c.yaml:6:17: listeners.public.limits.max_body: expected a size like 512, 64KiB, 1MiB"},
    {"limits_integer", "listeners:\n  public:\n    protocol: http\n    listen: :8080\n    limits:\n      max_headers: abc\n",
     "c.yaml:6:20: listeners.public.limits.max_headers: expected an integer"},
    {"limits_quoted_integer", "listeners:\n  public:\n    protocol: http\n    listen: :8080\n    limits:\n      max_headers: \"abc\"\n",
     "c.yaml:6:20: listeners.public.limits.max_headers: expected an integer"},
    {"limits_zero", "listeners:\n  public:\n    protocol: http\n    listen: :8080\n    limits:\n      max_connections: 0\n",
     "c.yaml:6:24: listeners.public.limits.max_connections: expected an integer from 1 to 1000000000"},
    {"limits_integer_overflow",
     "listeners:\n  public:\n    protocol: http\n    listen: :8080\n    limits:\n      max_headers: 99999999999999999999\n",
     "c.yaml:6:20: listeners.public.limits.max_headers: expected an integer from 1 to 1000000000"},
    {"limits_zero_timeout", "listeners:\n  public:\n    protocol: http\n    listen: :8080\n    limits: { idle_timeout: 0s }\n",
     "c.yaml:5:29: listeners.public.limits.idle_timeout: expected a duration greater than 0"},
    {"limits_unknown_key", "listeners:\n  public:\n    protocol: http\n    listen: :8080\n    limits:\n      max_bdy: 1MiB\n",
     "c.yaml:6:7: listeners.public.limits.max_bdy: unknown key (expected one of: max_header_bytes, max_headers, "
     "max_body, header_timeout, body_timeout, idle_timeout, max_connections)"},
    {"same_address", "listeners:\n  public: { protocol: http, listen: 0.0.0.0:8080 }\n  other: { protocol: http, listen: 0.0.0.0:8080 }\n",
     "c.yaml:3:36: listeners.other.listen: address 0.0.0.0:8080 is already used by listener 'public'"},
    {"wildcard_overlap", "listeners:\n  public: { protocol: http, listen: 0.0.0.0:8080 }\n  other: { protocol: http, listen: 127.0.0.1:8080 }\n",
     "c.yaml:3:36: listeners.other.listen: address 127.0.0.1:8080 is already used by listener 'public' (0.0.0.0:8080)"},
    {"default_admin_address", "listeners:\n  public: { protocol: http, listen: 127.0.0.1:9901 }\n",
     "c.yaml:2:37: listeners.public.listen: address 127.0.0.1:9901 is already used by the admin listener"},
    {"configured_admin_address", "admin: { listen: ':9000' }\nlisteners:\n  public: { protocol: http, listen: 10.0.0.1:9000 }\n",
     "c.yaml:3:37: listeners.public.listen: address 10.0.0.1:9000 is already used by the admin listener (0.0.0.0:9000)"},
};

const BrokenConfig kBrokers[] = {
    {"missing_bootstrap", "brokers:\n  events: { type: kafka }\n", "c.yaml:2:11: brokers.events: missing required key 'bootstrap'"},
    {"broker_type", "brokers:\n  events: { type: pulsar, bootstrap: embedded }\n",
     "c.yaml:2:19: brokers.events.type: expected one of: kafka, rabbitmq"},
    {"kafka_key_on_rabbitmq", "brokers:\n  events: { type: rabbitmq, bootstrap: embedded }\n",
     "c.yaml:2:29: brokers.events.bootstrap: unknown key (expected one of: type, headers, url, options, tls)"},
    {"bootstrap_list", "brokers:\n  events:\n    bootstrap: k1:9092,k2\n",
     "c.yaml:3:16: brokers.events.bootstrap: expected 'embedded' or host:port[,host:port...]"},
    {"bootstrap_not_a_string", "brokers:\n  events:\n    bootstrap: [k1:9092]\n",
     "c.yaml:3:16: brokers.events.bootstrap: expected a string"},
    {"option_not_a_scalar", "brokers:\n  events:\n    bootstrap: embedded\n    options:\n      linger.ms: [1]\n",
     "c.yaml:5:18: brokers.events.options.linger.ms: expected a string"},
    {"option_without_value", "brokers:\n  events:\n    bootstrap: embedded\n    options:\n      linger.ms:\n",
     "c.yaml:5:7: brokers.events.options.linger.ms: expected a string"},
    {"duplicate_option", "brokers:\n  events:\n    bootstrap: embedded\n    options:\n      linger.ms: 1\n      linger.ms: 2\n",
     "c.yaml:6:7: brokers.events.options.linger.ms: duplicate key"},
    {"bootstrap_option", "brokers:\n  events:\n    bootstrap: embedded\n    options: { bootstrap.servers: k:9092 }\n",
     "c.yaml:4:16: brokers.events.options.bootstrap.servers: set by 'bootstrap', not by an option"},
    // Consumer options are checked too, though producers are not given them.
    {"bad_consumer_option", "brokers:\n  events:\n    bootstrap: embedded\n    options: { fetch.wait.max.ms: soon }\n",
     "c.yaml:4:16: brokers.events.options.fetch.wait.max.ms: Invalid value for configuration property \"fetch.wait.max.ms\""},
};

const BrokenConfig kRoutes[] = {
    {"routes_mapping", "routes:\n  name: x\n", "c.yaml:2:3: routes: expected a list"},
    {"route_not_a_mapping", kHead + "  - a\n", "c.yaml:6:5: routes[0]: expected a mapping"},
    {"missing_name", kHead + "  - from: { listener: public, path: /a }\n    to: { broker: events, topic: t }\n",
     "c.yaml:6:5: routes[0]: missing required key 'name'"},
    {"route_name", kHead + "  - name: \"a b\"\n", "c.yaml:6:11: routes[0].name: expected a name of letters, digits, '_', '.', '-'"},
    {"duplicate_route_name", kHead + kRoute + "  - name: a\n    from: { listener: public, path: /b }\n    to: { broker: events, topic: t }\n",
     "c.yaml:9:11: routes[1].name: duplicate route name 'a' (first at line 6)"},
    {"unknown_from_key", kHead + "  - name: a\n    from: { listener: public, path: /a, foo: 1 }\n",
     "c.yaml:7:41: routes[0].from.foo: unknown key (expected one of: listener, method, path, rpc, soap, broker, topic, group, queue, bind, key_header)"},
    {"unknown_route_key", kHead + kRoute + "    timeout: 5s\n",
     "c.yaml:9:5: routes[0].timeout: unknown key (expected one of: name, mode, from, to, headers, envelope, cloudevents, limits, retry, dead_letter, concurrency, max_buffered, encoding, callback)"},
    {"from_missing", kHead + "  - name: a\n    to: { broker: events, topic: t }\n", "c.yaml:6:5: routes[0]: missing required key 'from'"},
    {"missing_path", kHead + "  - name: a\n    from: { listener: public }\n    to: { status: 200 }\n", "c.yaml:7:11: routes[0].from: missing required key 'path'"},
    {"unknown_listener", kHead + "  - name: a\n    from: { listener: pub, path: /a }\n",
     "c.yaml:7:23: routes[0].from.listener: no listener named 'pub' (defined: public)"},
    {"no_listeners", "routes:\n  - name: a\n    from: { listener: pub, path: /a }\n",
     "c.yaml:3:23: routes[0].from.listener: no listener named 'pub' (defined: none)"},
    {"method_token", kHead + "  - name: a\n    from: { listener: public, method: \"GE T\", path: /a }\n",
     "c.yaml:7:39: routes[0].from.method: expected an HTTP method like GET or POST"},
    {"path_not_a_string", kHead + "  - name: a\n    from: { listener: public, path: { x: 1 } }\n",
     "c.yaml:7:37: routes[0].from.path: expected a string"},
    {"bridge_with_reply", kHead + "  - name: a\n    from: { broker: events, topic: t, group: g }\n    to: { broker: events, topic: u, reply: r }\n",
     "c.yaml:8:37: routes[0].to.reply: 'reply' does not go with a route from a broker: replies follow each message's reply-to"},
    {"queue_on_kafka", kHead + "  - name: a\n    from: { broker: events, queue: q, group: g }\n    to: { broker: events, topic: u }\n",
     "c.yaml:7:29: routes[0].from.queue: 'queue' does not go with broker 'events' (kafka): it takes 'topic'"},
    {"exchange_on_kafka", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, exchange: x }\n",
     "c.yaml:8:27: routes[0].to.exchange: 'exchange' does not go with broker 'events' (kafka): it takes 'topic'"},
    {"bind_on_kafka", kHead + "  - name: a\n    from: { broker: events, topic: t, group: g, bind: { exchange: x } }\n    to: { broker: events, topic: u }\n",
     "c.yaml:7:49: routes[0].from.bind: 'bind' does not go with broker 'events' (kafka)"},
    {"from_topic_and_listener", kHead + "  - name: a\n    from: { broker: events, topic: t, group: g, listener: public }\n",
     "c.yaml:7:49: routes[0].from.listener: 'listener' is for HTTP sources; this route reads a broker"},
    {"from_topic_unknown_broker", kHead + "  - name: a\n    from: { broker: evts, topic: t, group: g }\n",
     "c.yaml:7:21: routes[0].from.broker: no broker named 'evts' (defined: events)"},
    {"from_topic_without_group", kHead + "  - name: a\n    from: { broker: events, topic: t }\n",
     "c.yaml:7:11: routes[0].from: missing required key 'group'"},
    {"forward_dead_letter", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: svc }\n    dead_letter: d\n",
     "c.yaml:11:5: routes[0].dead_letter: 'dead_letter' applies to routes from a topic only"},
    {"forward_retry_on", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: svc }\n    retry: { attempts: 2, retry_on: [sometimes] }\n",
     "c.yaml:11:38: routes[0].retry.retry_on[0]: expected 5xx, connect-failure, reset, timeout or an HTTP status"},
    {"delivery_retry_on", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { broker: events, topic: t, group: g }\n    to: { upstream: svc, path: /b }\n    retry: { retry_on: [5xx] }\n",
     "c.yaml:11:14: routes[0].retry.retry_on: unknown key (expected one of: attempts, backoff, max_backoff)"},
    {"burst_without_rate", kHead + kRoute + "    limits: { burst: 5 }\n", "c.yaml:9:15: routes[0].limits.burst: 'burst' needs 'rate'"},
    {"rate_not_positive", kHead + kRoute + "    limits: { rate: 0 }\n", "c.yaml:9:21: routes[0].limits.rate: expected a number greater than 0"},
    {"limits_on_delivery", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { broker: events, topic: t, group: g }\n    to: { upstream: svc, path: /b }\n    limits: { rate: 5 }\n",
     "c.yaml:11:5: routes[0].limits: 'limits' applies to routes from a listener"},
    {"unknown_upstream", kHead + "  - name: a\n    from: { broker: events, topic: t, group: g }\n    to: { upstream: svc, path: /b }\n",
     "c.yaml:8:21: routes[0].to.upstream: no upstream named 'svc' (defined: none)"},
    {"delivery_path_variable", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { broker: events, topic: t, group: g }\n    to: { upstream: svc, path: \"/b/{id}\" }\n",
     "c.yaml:10:32: routes[0].to.path: variable 'id' is not one of: topic, partition, offset, key"},
    {"delivery_retry_backoff", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { broker: events, topic: t, group: g }\n    to: { upstream: svc, path: /b }\n    retry: { backoff: 1s, max_backoff: 100ms }\n",
     "c.yaml:11:40: routes[0].retry.max_backoff: expected at least the backoff"},
    {"dead_letter_is_source", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { broker: events, topic: t, group: g }\n    to: { upstream: svc, path: /b }\n    dead_letter: t\n",
     "c.yaml:11:18: routes[0].dead_letter: expected a topic other than the one read"},
    {"upstream_url", "upstreams:\n  svc: { url: \"ftp://x\" }\n", "c.yaml:2:15: upstreams.svc.url: expected a URL like http://127.0.0.1:3000"},
    {"upstream_grpc_url", "upstreams:\n  inv: { type: grpc, url: http://127.0.0.1:1 }\n",
     "c.yaml:2:22: upstreams.inv.url: 'url' is for HTTP upstreams; a gRPC upstream has an address"},
    {"upstream_grpc_address", "upstreams:\n  inv: { type: grpc, address: somewhere }\n",
     "c.yaml:2:31: upstreams.inv.address: expected host:port, like 127.0.0.1:50052"},
    {"from_rpc_on_http_listener", kHead + "  - name: a\n    from: { listener: public, rpc: a.B/C }\n",
     "c.yaml:7:31: routes[0].from.rpc: 'rpc' is for gRPC listeners; 'public' speaks HTTP"},
    {"rpc_to_http_upstream", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: svc, rpc: a.B/C }\n",
     "c.yaml:10:26: routes[0].to.rpc: 'rpc' is for gRPC upstreams; 'svc' speaks HTTP"},
    {"grpc_upstream_needs_rpc", "upstreams:\n  inv: { type: grpc, address: 127.0.0.1:50052 }\n" + kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: inv }\n",
     "c.yaml:10:9: routes[0].to: missing required key 'rpc'"},
    {"grpc_upstream_path", "upstreams:\n  inv: { type: grpc, address: 127.0.0.1:50052 }\n" + kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: inv, path: /x }\n",
     "c.yaml:10:26: routes[0].to.path: 'path' is for HTTP upstreams; a gRPC upstream is called by 'rpc'"},
    {"rpc_malformed", "upstreams:\n  inv: { type: grpc, address: 127.0.0.1:50052 }\n" + kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: inv, rpc: GetItem }\n",
     "c.yaml:10:31: routes[0].to.rpc: expected a gRPC method like inventory.v1.Inventory/GetItem"},
    {"soap_with_method", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: svc, method: GET, soap: { service: S, operation: O } }\n",
     "c.yaml:10:26: routes[0].to.method: a SOAP operation is always called with POST"},
    {"soap_delivery_with_method", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { broker: events, topic: t, group: g }\n    to: { upstream: svc, method: PUT, soap: { service: S, operation: O } }\n",
     "c.yaml:10:26: routes[0].to.method: a SOAP operation is always called with POST"},
    {"soap_unknown_key", "upstreams:\n  svc: { url: http://127.0.0.1:3000 }\n" + kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: svc, soap: { service: S, op: O } }\n",
     "c.yaml:10:46: routes[0].to.soap.op: unknown key (expected one of: service, operation)"},
    {"soap_to_a_topic", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: t, soap: { service: S, operation: O } }\n",
     "c.yaml:8:37: routes[0].to.soap: 'soap' goes with 'upstream'"},
    {"soap_listener_with_method", kHead + "  - name: a\n    from: { listener: public, method: GET, soap: { service: S, operation: O } }\n    to: { broker: events, topic: t }\n",
     "c.yaml:7:31: routes[0].from.method: a SOAP listener route takes POST (and GET ?wsdl)"},
    {"soap_listener_to_a_status", kHead + "  - name: a\n    from: { listener: public, soap: { service: S, operation: O } }\n    to: { status: 200 }\n",
     "c.yaml:8:9: routes[0].to: a SOAP listener route goes to an upstream (REST, gRPC or SOAP) or to a topic (a direct response is not supported)"},
    {"soap_listener_to_a_grpc_upstream_needs_rpc", "upstreams:\n  inv: { type: grpc, address: 127.0.0.1:50052 }\n" + kHead + "  - name: a\n    from: { listener: public, soap: { service: S, operation: O } }\n    to: { upstream: inv }\n",
     "c.yaml:10:9: routes[0].to: missing required key 'rpc'"},
    {"soap_operation_of_a_grpc_upstream", "upstreams:\n  inv: { type: grpc, address: 127.0.0.1:50052 }\n" + kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: inv, rpc: a.B/C, soap: { service: S, operation: O } }\n",
     "c.yaml:10:38: routes[0].to.soap: 'soap' is for HTTP upstreams; a gRPC upstream is called by 'rpc'"},
    {"no_path_to_a_topic", kHead + "  - name: a\n    from: { listener: public }\n    to: { broker: events, topic: t }\n",
     "c.yaml:7:11: routes[0].from: missing required key 'path'"},
    {"method_without_path", kHead + "  - name: a\n    from: { listener: public, method: GET }\n",
     "c.yaml:7:31: routes[0].from.method: 'method' goes with 'path'"},
    {"encoding_on_http_route", kHead + kRoute + "    encoding: json\n",
     "c.yaml:9:5: routes[0].encoding: 'encoding' applies to routes from a gRPC listener to a topic, or from a topic to a gRPC upstream"},
    {"route_retry", kHead + kRoute + "    retry: { attempts: 5 }\n",
     "c.yaml:9:5: routes[0].retry: 'retry' applies to routes from a topic only"},
    {"to_missing_topic", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events }\n",
     "c.yaml:8:9: routes[0].to: missing required key 'topic'"},
    {"to_missing_broker", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { topic: t }\n",
     "c.yaml:8:9: routes[0].to: missing required key 'broker'"},
    {"topic_not_a_string", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: [a] }\n",
     "c.yaml:8:34: routes[0].to.topic: expected a string"},
    {"topic_name", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: \"a b\" }\n",
     "c.yaml:8:34: routes[0].to.topic: expected a topic name of letters, digits, '.', '_', '-' (at most 249)"},
    {"unknown_broker", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: evts, topic: t }\n",
     "c.yaml:8:19: routes[0].to.broker: no broker named 'evts' (defined: events)"},
    {"timeout_without_reply", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: t, timeout: 5s }\n",
     "c.yaml:8:37: routes[0].to.timeout: 'timeout' needs 'reply': an event route answers once the broker acknowledged"},
    {"reply_topic_name", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: t, reply: \"r/{x}\" }\n",
     "c.yaml:8:44: routes[0].to.reply: expected a topic name of letters, digits, '.', '_', '-' (at most 249)"},
    {"reply_timeout_zero", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: t, reply: r, timeout: 0s }\n",
     "c.yaml:8:56: routes[0].to.timeout: expected a duration greater than 0"},
    {"reply_with_status", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { status: 200, reply: r }\n",
     "c.yaml:8:24: routes[0].to.reply: 'reply' only goes with 'topic'"},
    {"reserved_prefix", kHead + "  - name: a\n    from: { listener: public, path: /_causeway/x }\n    to: { status: 200 }\n",
     "c.yaml:7:37: routes[0].from.path: paths under /_causeway/ are reserved for Causeway (reply polling)"},
    {"renamed_wire_header", "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\nbrokers:\n  events:\n    bootstrap: embedded\n    headers: { correlation_id: kafka_correlationId }\nroutes:\n  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: t }\n    headers: [kafka_correlationid]\n",
     "c.yaml:11:15: routes[0].headers[0]: 'kafka_correlationid' is set by Causeway"},
    {"wire_header_key", "brokers:\n  events:\n    bootstrap: embedded\n    headers: { correlation: x }\n",
     "c.yaml:4:16: brokers.events.headers.correlation: unknown key (expected one of: correlation_id, reply_to, reply_partition, status, reply_partition_encoding)"},
    {"wire_header_encoding", "brokers:\n  events:\n    bootstrap: embedded\n    headers: { reply_partition_encoding: binary }\n",
     "c.yaml:4:42: brokers.events.headers.reply_partition_encoding: expected one of: decimal, int32"},
    {"reply_partition_word", "brokers:\n  events:\n    bootstrap: embedded\n    reply_partition: first\n",
     "c.yaml:4:22: brokers.events.reply_partition: expected a partition number or 'ordinal'"},
    {"replies_key", "replies:\n  max_pendin: 5\n", "c.yaml:2:3: replies.max_pendin: unknown key (expected one of: max_pending, keep, max_kept)"},
    {"replies_max_pending", "replies:\n  max_pending: 0\n", "c.yaml:2:16: replies.max_pending: expected an integer from 1 to 1000000000"},
    {"to_upstream", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { upstream: orders }\n",
     "c.yaml:8:21: routes[0].to.upstream: no upstream named 'orders' (defined: none)"},
    {"topic_and_status", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { topic: t, status: 200 }\n",
     "c.yaml:8:9: routes[0].to: expected either 'topic' or 'status', not both"},
    {"neither_topic_nor_status", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: {}\n",
     "c.yaml:8:9: routes[0].to: expected either 'topic' or 'status'"},
    {"to_without_value", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to:\n",
     "c.yaml:8:5: routes[0].to: expected a mapping"},
    {"status_range", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { status: 700 }\n",
     "c.yaml:8:19: routes[0].to.status: expected an integer from 100 to 599"},
    {"status_not_a_number", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { status: ok }\n",
     "c.yaml:8:19: routes[0].to.status: expected an integer"},
    {"body_with_topic", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: t, body: x }\n",
     "c.yaml:8:37: routes[0].to.body: 'body' only goes with 'status'"},
    {"key_with_status", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { status: 200, key: k }\n",
     "c.yaml:8:24: routes[0].to.key: 'key' only goes with 'topic'"},
    {"key_not_captured", kHead + kRoute.substr(0, kRoute.rfind("    to:")) + "    to: { broker: events, topic: t, key: \"{cust}\" }\n",
     "c.yaml:8:42: routes[0].to.key: variable 'cust' is not captured by the path /orders/{customer}/events"},
    {"topic_not_captured", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: \"t.{region}\" }\n",
     "c.yaml:8:34: routes[0].to.topic: variable 'region' is not captured by the path /a"},
    {"ambiguous_routes", kHead + kRoute + "  - name: b\n    from: { listener: public, method: POST, path: \"/orders/{id}/events\" }\n    to: { broker: events, topic: t }\n",
     "c.yaml:10:51: routes[1].from.path: ambiguous with route 'a' (routes[0]): both match the same requests"},
    {"reserved_header", kHead + kRoute + "    headers: [x-tenant, Correlation-ID]\n",
     "c.yaml:9:25: routes[0].headers[1]: 'correlation-id' is set by Causeway"},
    {"cloudevents_header", kHead + kRoute + "    headers:\n      - ce_id\n", "c.yaml:10:9: routes[0].headers[0]: 'ce_id' is set by Causeway"},
    {"header_name", kHead + kRoute + "    headers: [\"x tenant\"]\n", "c.yaml:9:15: routes[0].headers[0]: expected a header name like x-tenant"},
    {"header_twice", kHead + kRoute + "    headers: [x-a, X-A]\n", "c.yaml:9:20: routes[0].headers[1]: header 'x-a' is listed twice"},
    {"headers_not_a_list", kHead + kRoute + "    headers: x-tenant\n", "c.yaml:9:14: routes[0].headers: expected a list"},
    {"envelope_word", kHead + kRoute + "    envelope: json\n", "c.yaml:9:15: routes[0].envelope: expected one of: none, cloudevents"},
    {"cloudevents_without_envelope", kHead + kRoute + "    cloudevents: { type: x }\n",
     "c.yaml:9:5: routes[0].cloudevents: 'cloudevents' needs 'envelope: cloudevents'"},
    {"cloudevents_empty_type", kHead + kRoute + "    envelope: cloudevents\n    cloudevents: { type: '' }\n",
     "c.yaml:10:26: routes[0].cloudevents.type: expected a non-empty string"},
    {"headers_on_direct_response", kHead + "  - name: a\n    from: { listener: public, path: /a }\n    to: { status: 204 }\n    headers: [x-a]\n",
     "c.yaml:9:5: routes[0].headers: 'headers' applies to routes from a listener to a topic only"},
    {"mode_mismatch", kHead + "  - name: a\n    mode: direct_response\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: t }\n",
     "c.yaml:7:11: routes[0].mode: mode is 'direct_response' but from/to make it 'event'"},
    {"mode_transcode_mismatch", kHead + "  - name: a\n    mode: transcode\n    from: { listener: public, path: /a }\n    to: { broker: events, topic: t }\n",
     "c.yaml:7:11: routes[0].mode: mode is 'transcode' but from/to make it 'event'"},
    {"mode_word", kHead + "  - name: a\n    mode: publish\n",
     "c.yaml:7:11: routes[0].mode: expected one of: event, request-reply, direct_response, delivery, forward, transcode, bridge, stream"},
    {"topic_without_value",
     kHead + kRoute + "  - name: b\n    from: { listener: public, path: /b }\n    to:\n      broker: events\n      topic:\n",
     "c.yaml:13:7: routes[1].to.topic: expected a string"},
};

// Lines 1-4 of every listener TLS case; tls: is on line 5, its keys from line 6.
const std::string kHttpsListener =
    "listeners:\n"
    "  public:\n"
    "    protocol: http\n"
    "    listen: :8443\n";

const BrokenConfig kTls[] = {
    {"listener_tls_not_a_mapping", kHttpsListener + "    tls: true\n", "c.yaml:5:10: listeners.public.tls: expected a mapping"},
    {"listener_tls_without_key", kHttpsListener + "    tls:\n      cert: /etc/causeway/server.pem\n",
     "c.yaml:6:7: listeners.public.tls: missing required key 'key'"},
    {"listener_tls_without_cert", kHttpsListener + "    tls: { key: /etc/causeway/server.key }\n",
     "c.yaml:5:10: listeners.public.tls: missing required key 'cert'"},
    {"listener_tls_unknown_key", kHttpsListener + "    tls:\n      cert: s.pem\n      key: s.key\n      ca: c.pem\n",
     "c.yaml:8:7: listeners.public.tls.ca: unknown key (expected one of: cert, key, client_ca, require_client_cert)"},
    {"listener_tls_empty_path", kHttpsListener + "    tls:\n      cert: \"\"\n      key: s.key\n",
     "c.yaml:6:13: listeners.public.tls.cert: expected a file path"},
    {"listener_tls_path_not_a_string", kHttpsListener + "    tls:\n      cert: [s.pem]\n      key: s.key\n",
     "c.yaml:6:13: listeners.public.tls.cert: expected a string"},
    {"require_client_cert_without_client_ca",
     kHttpsListener + "    tls:\n      cert: s.pem\n      key: s.key\n      require_client_cert: false\n",
     "c.yaml:8:7: listeners.public.tls.require_client_cert: needs client_ca, the CAs that client certificates are "
     "verified against"},
    {"require_client_cert_word",
     kHttpsListener + "    tls:\n      cert: s.pem\n      key: s.key\n      client_ca: c.pem\n      require_client_cert: yes\n",
     "c.yaml:9:28: listeners.public.tls.require_client_cert: expected true or false"},
    {"upstream_tls_on_http", "upstreams:\n  svc:\n    url: http://orders.internal\n    tls: { verify: false }\n",
     "c.yaml:4:5: upstreams.svc.tls: needs an https:// url"},
    {"upstream_tls_unknown_key", "upstreams:\n  svc:\n    url: https://orders.internal\n    tls: { sni: orders }\n",
     "c.yaml:4:12: upstreams.svc.tls.sni: unknown key (expected one of: ca, verify, server_name, cert, key)"},
    {"upstream_tls_verify_word", "upstreams:\n  svc:\n    url: https://orders.internal\n    tls: { verify: no }\n",
     "c.yaml:4:20: upstreams.svc.tls.verify: expected true or false"},
    {"upstream_tls_server_name", "upstreams:\n  svc:\n    url: https://orders.internal\n    tls: { server_name: \"a b\" }\n",
     "c.yaml:4:25: upstreams.svc.tls.server_name: expected a host name"},
    {"upstream_tls_cert_without_key",
     "upstreams:\n  svc:\n    url: https://orders.internal\n    tls:\n      cert: /etc/causeway/client.pem\n",
     "c.yaml:5:7: upstreams.svc.tls.cert: a client certificate needs its key as well"},
    {"upstream_tls_key_without_cert",
     "upstreams:\n  svc:\n    url: https://orders.internal\n    tls:\n      ca: ca.pem\n      key: /etc/causeway/client.key\n",
     "c.yaml:6:7: upstreams.svc.tls.key: a private key needs its cert as well"},
    {"upstream_https_without_host", "upstreams:\n  svc: { url: \"https://:8443\" }\n",
     "c.yaml:2:15: upstreams.svc.url: expected a URL like http://127.0.0.1:3000"},
};

INSTANTIATE_TEST_SUITE_P(Document, ConfigErrors, ::testing::ValuesIn(kDocument),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Listeners, ConfigErrors, ::testing::ValuesIn(kListeners),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Brokers, ConfigErrors, ::testing::ValuesIn(kBrokers),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Routes, ConfigErrors, ::testing::ValuesIn(kRoutes),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Tls, ConfigErrors, ::testing::ValuesIn(kTls),
                         [](const auto& info) { return info.param.name; });

// The routing module words template errors; the loader only has to put them in place.
TEST(ConfigErrors, PathTemplateErrorsKeepTheirText) {
  std::string expected;
  try {
    routing::PathTemplate::parse("/files/{rest=**}/x");
  } catch (const routing::TemplateError& error) {
    expected = error.what();
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(error_of(kHead + "  - name: a\n    from: { listener: public, path: \"/files/{rest=**}/x\" }\n"),
            "c.yaml:7:37: routes[0].from.path: " + expected);
}

TEST(ConfigErrors, ValueTemplateErrorsKeepTheirText) {
  std::string expected;
  try {
    routing::ValueTemplate::parse("{customer");
  } catch (const routing::TemplateError& error) {
    expected = error.what();
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(error_of(kHead + kRoute.substr(0, kRoute.rfind("    to:")) + "    to: { broker: events, topic: t, key: \"{customer\" }\n"),
            "c.yaml:8:42: routes[0].to.key: " + expected);
}

TEST(ConfigErrors, MatchTheDesignDocumentExample) {
  const std::string yaml = kHead + kRoute +
                           "  # a second route, its topic forgotten\n"
                           "  - name: b\n"
                           "    from: { listener: public, path: /b }\n"
                           "    to:\n"
                           "      broker: events\n"
                           "      topic:\n";
  try {
    parse_config(yaml, "config/causeway.yaml");
    FAIL() << "parsed";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(), "config/causeway.yaml:14:7: routes[1].to.topic: expected a string");
  }
}

TEST(ConfigErrors, CarryTheirParts) {
  try {
    parse_config(kHead + "  - name: a\n    from: { listener: pub, path: /a }\n", "dir/c.yaml");
    FAIL() << "parsed";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.file(), "dir/c.yaml");
    EXPECT_EQ(error.mark().line, 7);
    EXPECT_EQ(error.mark().column, 23);
    EXPECT_EQ(error.path(), "routes[0].from.listener");
    EXPECT_EQ(error.message(), "no listener named 'pub' (defined: public)");
  }
}

TEST(ConfigErrors, FormatWithoutPathOrPosition) {
  EXPECT_STREQ(ConfigError("f.yaml", Mark{3, 4}, "", "boom").what(), "f.yaml:3:4: boom");
  EXPECT_STREQ(ConfigError("f.yaml", Mark{}, "", "boom").what(), "f.yaml: boom");
  EXPECT_STREQ(ConfigError("f.yaml", Mark{1, 2}, "a.b", "boom").what(), "f.yaml:1:2: a.b: boom");
}

// A request-reply route on lines 6-8, for the callback cases (its block starts on line 9).
const std::string kReplyRoute =
    "  - name: quote\n"
    "    from: { listener: public, method: POST, path: /quotes }\n"
    "    to: { broker: events, topic: q, reply: r, timeout: 5s }\n";

TEST(ConfigCallback, AnAllowListIsRequired) {
  EXPECT_EQ(error_of(kHead + kReplyRoute + "    callback: { secret: whsec_a2V5 }\n"),
            "c.yaml:9:15: routes[0].callback: a callback needs 'allow': the URLs it may call (nothing else is called)");
  EXPECT_EQ(error_of(kHead + kReplyRoute + "    callback: { allow: [], secret: whsec_a2V5 }\n"),
            "c.yaml:9:24: routes[0].callback.allow: expected at least one URL pattern");
}

TEST(ConfigCallback, AllowEntriesAreChecked) {
  EXPECT_EQ(error_of(kHead + kReplyRoute + "    callback: { allow: [\"http://user@host/\"], secret: whsec_a2V5 }\n"),
            "c.yaml:9:25: routes[0].callback.allow[0]: a URL with user info ('@') is not accepted");
  EXPECT_EQ(error_of(kHead + kReplyRoute + "    callback: { allow: [\"http://ho*st/\"], secret: whsec_a2V5 }\n"),
            "c.yaml:9:25: routes[0].callback.allow[0]: '*' may only open the host (*.example.com) or end the path "
            "(/hooks/*), and no query is taken");
  EXPECT_EQ(error_of(kHead + kReplyRoute + "    callback: { allow: [example.com], secret: whsec_a2V5 }\n"),
            "c.yaml:9:25: routes[0].callback.allow[0]: expected scheme://host[:port][/path], like "
            "https://*.example.com/hooks/*");
}

TEST(ConfigCallback, ASecretIsAStandardWebhooksSecret) {
  EXPECT_EQ(error_of(kHead + kReplyRoute + "    callback: { allow: [\"http://h/\"] }\n"),
            "c.yaml:9:15: routes[0].callback: a callback needs 'secret': whsec_<base64>, or a list of them during a "
            "rotation");
  EXPECT_EQ(error_of(kHead + kReplyRoute + "    callback: { allow: [\"http://h/\"], secret: hunter2 }\n"),
            "c.yaml:9:47: routes[0].callback.secret: expected a Standard Webhooks secret, whsec_<base64 of the key>");
  EXPECT_EQ(error_of(kHead + kReplyRoute + "    callback: { allow: [\"http://h/\"], secret: [] }\n"),
            "c.yaml:9:47: routes[0].callback.secret: expected at least one secret");
}

TEST(ConfigCallback, OnlyRequestReplyRoutesFromAnHttpListenerTakeOne) {
  const std::string event =
      kHead +
      "  - name: e\n"
      "    from: { listener: public, path: /e }\n"
      "    to: { broker: events, topic: q }\n"
      "    callback: { allow: [\"http://h/\"], secret: whsec_a2V5 }\n";
  EXPECT_EQ(error_of(event),
            "c.yaml:9:5: routes[0].callback: 'callback' applies to request-reply routes from an HTTP listener");
}

TEST(ConfigCallback, UnknownKeysAreErrors) {
  EXPECT_EQ(error_of(kHead + kReplyRoute + "    callback: { allow: [\"http://h/\"], secret: whsec_a2V5, url: x }\n"),
            "c.yaml:9:59: routes[0].callback.url: unknown key (expected one of: header, allow, secret, retry, "
            "timeout, dead_letter)");
}

}  // namespace
}  // namespace causeway::config
