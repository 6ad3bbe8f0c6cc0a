#pragma once
// The flows of routes with a gRPC side, built on the protocol-neutral ones:
//   gRPC listener -> topic        a stream (server-streaming rpc, grpc_stream_flow.h), or
//                                 the event or request-reply flow, with the request
//                                 message checked (or turned into JSON, encoding: json)
//                                 and the answer made a response message;
//   gRPC listener -> HTTP upstream protobuf -> JSON request, JSON -> protobuf response;
//   gRPC listener -> gRPC upstream the call forwarded, metadata and deadline with it;
//   HTTP listener -> gRPC upstream path variables, query and JSON body -> request
//                                 message, response message -> JSON (also behind a SOAP
//                                 listener, whose endpoint made that JSON of the envelope);
//   topic -> gRPC upstream        delivery, the value transcoded with encoding: json.
// Answers to gRPC callers are bridge::Responses that grpc_answer.h turns into statuses.

#include <functional>
#include <memory>
#include <string>

#include "bridge/flow.h"
#include "bridge/service_caller.h"
#include "config/config.h"
#include "routing/path_template.h"

namespace causeway::metrics {
class Registry;
}
namespace causeway::bridge {
class BrokerClient;
struct FlowMetrics;
}
namespace causeway::http {
class UpstreamClient;
}

namespace causeway::grpc {

class GrpcUpstream;
class ProtoCatalog;
struct RpcMethod;

struct GrpcFlowResources {
  std::shared_ptr<const ProtoCatalog> catalog;
  std::function<std::shared_ptr<GrpcUpstream>(const std::string& upstream)> grpc_upstream;
  std::function<std::shared_ptr<http::UpstreamClient>(const std::string& upstream)> http_upstream;
  metrics::Registry* registry = nullptr;  // causeway_transcode_errors_total
  // For stream routes (stream: grpc): their broker's client, and the stream metrics.
  std::function<std::shared_ptr<bridge::BrokerClient>(const std::string& broker)> broker;
  bridge::FlowMetrics* flow_metrics = nullptr;
};

// The flow of a route from a listener with a gRPC side. `plain` is the flow the route
// would have without one (event, request-reply), or null.
std::unique_ptr<bridge::Flow> make_grpc_flow(const config::Route& route, const GrpcFlowResources& resources,
                                             std::unique_ptr<bridge::Flow> plain);

// One google.api.http binding of a method, as a route of its own: how a REST call
// reaches the method, which part of the request message the body fills, and which part
// of the response message goes back.
struct RestBinding {
  std::string http_method;  // "GET", "POST", ...
  routing::PathTemplate path;
  const RpcMethod* rpc = nullptr;
  std::string body;           // "*", "" or a field
  std::string response_body;  // "" or a field
};

// The bindings of an annotated route (from: {listener} without a path): those of its
// rpc, or of every method of the service for "pkg.Service/*". A binding our path
// templates cannot express (a custom verb "...:reserve", a pattern like {name=shelves/*})
// is left out and described in `skipped`.
std::vector<RestBinding> rest_bindings(const ProtoCatalog& catalog, const config::Route& route,
                                       std::vector<std::string>& skipped);

// The flow of one binding.
std::unique_ptr<bridge::Flow> make_binding_flow(const config::Route& route, const RestBinding& binding,
                                                const GrpcFlowResources& resources);

// A delivery route's caller for a gRPC upstream with encoding: json: the value is
// transcoded to the request message (one that does not fit is answered 400, so it is
// dead-lettered) and the response message to JSON. Null for encoding: protobuf, where
// the GrpcUpstream itself is the caller.
std::unique_ptr<bridge::ServiceCaller> make_delivery_caller(const config::Route& route,
                                                            const GrpcFlowResources& resources);

}  // namespace causeway::grpc
