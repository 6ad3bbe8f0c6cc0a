#include "grpc/grpc_stream_flow.h"

#include "bridge/stream_flow.h"
#include "grpc/grpc_flows.h"
#include "grpc/json_transcoding.h"
#include "grpc/proto_catalog.h"
#include "grpc/request_fields.h"
#include "grpc/transcode_errors.h"

namespace causeway::grpc {

namespace {

// Each message as a response message; the catalog is held as long as a client renders.
bridge::StreamFraming grpc_framing(const config::Route& route, std::shared_ptr<const ProtoCatalog> catalog,
                                   const RpcMethod& method, const TranscodeErrors& errors) {
  const bool json = route.encoding == config::Encoding::json;
  auto render = [catalog = std::move(catalog), &output = method.output, json,
                 failed = errors.response](const bridge::InboundMessage& message) -> std::optional<std::string> {
    Transcoded out;
    if (json) {
      out = json_to_proto(output, message.value, {.ignore_unknown_fields = true});
    } else {
      out.error = malformed(output, message.value);
      out.data = message.value;
    }
    if (!out.ok()) {
      failed->inc();
      return std::nullopt;
    }
    return std::move(out.data);
  };
  // A position has no place in a typed response message: a gRPC client cannot resume.
  return bridge::StreamFraming{std::move(render), {}, {}, {{"content-type", "application/protobuf"}}, false};
}

class GrpcStreamFlow : public bridge::Flow {
 public:
  GrpcStreamFlow(const config::Route& route, const GrpcFlowResources& resources)
      : route_(route),
        method_(resources.catalog->method(route.http_source()->rpc->name)),
        errors_(*resources.registry, route.name),
        stream_(route, resources.broker(std::get<config::TopicTarget>(route.to).broker), *resources.flow_metrics,
                grpc_framing(route, resources.catalog, method_, errors_)) {
    const auto& key = std::get<config::TopicTarget>(route.to).key;
    if (key) key_fields_ = key->variables();
  }

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    auto fields = field_captures(method_.input, request.body, key_fields_);
    if (!fields) {
      return respond(errors_.refused("not a valid " + std::string(method_.input.name()) + " message", route_.name));
    }
    for (auto& field : *fields) captures.push_back(std::move(field));
    stream_.handle(std::move(request), std::move(captures), std::move(respond));
  }

 private:
  const config::Route& route_;
  const RpcMethod& method_;
  TranscodeErrors errors_;
  bridge::StreamFlow stream_;
  std::vector<std::string> key_fields_;
};

}  // namespace

std::unique_ptr<bridge::Flow> make_grpc_stream_flow(const config::Route& route, const GrpcFlowResources& resources) {
  return std::make_unique<GrpcStreamFlow>(route, resources);
}

}  // namespace causeway::grpc
