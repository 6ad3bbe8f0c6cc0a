#pragma once
// grpc::ByteBuffer <-> the std::string bodies the flows carry.

#include <string>
#include <string_view>

#include <grpcpp/support/byte_buffer.h>

namespace causeway::grpc {

std::string bytes_of(const ::grpc::ByteBuffer& buffer);
::grpc::ByteBuffer buffer_of(std::string_view bytes);

}  // namespace causeway::grpc
