#pragma once
// The config the gRPC end-to-end tests start from (a header: only grpc_integration_tests,
// which defines TEST_PROTO_DIR, includes it).

#include <string>

namespace causeway::testing {

inline std::string proto_dir() { return TEST_PROTO_DIR; }

// An HTTP listener "public", a gRPC listener "rpc", the embedded broker "events", the
// test protos, `upstreams` (YAML lines) and `routes` (YAML list items).
inline std::string grpc_config(const std::string& upstreams, const std::string& routes) {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "listeners:\n"
         "  public: { protocol: http, listen: 127.0.0.1:0 }\n"
         "  rpc: { protocol: grpc, listen: 127.0.0.1:0 }\n"
         "brokers:\n"
         "  events: { bootstrap: embedded, options: { linger.ms: 1 } }\n"
         "protos:\n"
         "  files: [" + proto_dir() + "/inventory.proto]\n"
         "  include: [" + proto_dir() + "]\n" +
         (upstreams.empty() ? "" : "upstreams:\n" + upstreams) + "routes:\n" + routes;
}

}  // namespace causeway::testing
