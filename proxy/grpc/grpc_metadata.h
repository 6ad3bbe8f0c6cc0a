#pragma once
// gRPC metadata <-> Causeway's headers. Names are lower-case on both sides; binary
// metadata ("-bin" names) travels in headers base64-encoded, as on the HTTP/2 wire, so
// it survives HTTP and Kafka. What gRPC or HTTP/2 own (content-type, te, grpc-*, ...)
// is never copied across, and what gRPC would refuse to send is dropped, not sent: the
// library aborts the process on invalid metadata.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/support/string_ref.h>

#include "bridge/exchange.h"

namespace causeway::grpc {

using Metadata = std::vector<std::pair<std::string, std::string>>;  // ready for AddMetadata

bridge::Headers headers_from_metadata(const std::multimap<::grpc::string_ref, ::grpc::string_ref>& metadata);
Metadata metadata_from_headers(const bridge::Headers& headers);

}  // namespace causeway::grpc
