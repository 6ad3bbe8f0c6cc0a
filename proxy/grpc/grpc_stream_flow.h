#pragma once
// to: {broker, topic, stream: grpc} from a server-streaming rpc: each message of the
// topic from the call on is one response message, its value the output type's protobuf
// bytes (or its proto3 JSON with encoding: json). A value that does not fit is skipped
// and counted in causeway_transcode_errors_total{direction="response"}; the stream goes
// on. The key's variables are fields of the request message (request_fields.h). The
// subscription, its buffer and its metrics are bridge::StreamFlow's.

#include <memory>

#include "bridge/flow.h"
#include "config/config.h"

namespace causeway::grpc {

struct GrpcFlowResources;

std::unique_ptr<bridge::Flow> make_grpc_stream_flow(const config::Route& route, const GrpcFlowResources& resources);

}  // namespace causeway::grpc
