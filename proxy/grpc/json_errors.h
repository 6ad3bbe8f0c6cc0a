#pragma once
// Protobuf's JSON parser reports "(order.color): invalid value "BLUE" for type
// type.googleapis.com/inventory.v1.Color"; callers of a REST route deserve
// "field 'order.color': expected one of COLOR_UNSPECIFIED, RED, GREEN, got "BLUE"".

#include <string>

namespace google::protobuf {
class Descriptor;
}

namespace causeway::grpc {

// `message` as protobuf's JSON parser gave it for a message of type `root`.
std::string describe_json_error(const google::protobuf::Descriptor& root, const std::string& message);

}  // namespace causeway::grpc
