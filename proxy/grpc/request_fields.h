#pragma once
// Fields of a request message as template variables: a gRPC stream route's key:
// "{sku}" is the call's sku. Only top-level fields that hold one scalar (a string, a
// number, a bool, an enum) qualify; the check runs once on the config, the reading on
// each call.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/captures.h"

namespace causeway::grpc {

struct MessageType;

// Why `field` cannot fill a template from messages of `type`, or "" when it can.
std::string key_field_problem(const MessageType& type, std::string_view field);

// Each of `fields` of the message in `bytes` as text (numbers in decimal, an enum by its
// name, a bool as true/false; an unset field as its default); nullopt when the bytes do
// not parse as the message.
std::optional<routing::Captures> field_captures(const MessageType& type, std::string_view bytes,
                                                const std::vector<std::string>& fields);

}  // namespace causeway::grpc
