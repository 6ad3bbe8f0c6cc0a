#pragma once
// gRPC server reflection (grpc.reflection.v1alpha, and v1, whose messages are the same on
// the wire), answered from a ProtoCatalog: the stock reflection plugin only knows the
// types compiled into the binary, while Causeway's come from files loaded at run time.
// What is compiled in (health, reflection, well-known types) is served as well.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::grpc {

class ProtoCatalog;

inline constexpr std::string_view kReflectionPathV1alpha =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
inline constexpr std::string_view kReflectionPathV1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";

// The services reflection lists: the catalog's, then health and reflection.
std::vector<std::string> reflected_services(const ProtoCatalog* catalog);

// One serialized ServerReflectionRequest -> its serialized ServerReflectionResponse; a
// symbol or file nobody knows gets an error_response (NOT_FOUND) in the stream, as the
// protocol has it. nullopt when the request does not parse. `catalog` may be null.
std::optional<std::string> answer_reflection(std::string_view request, const ProtoCatalog* catalog);

}  // namespace causeway::grpc
