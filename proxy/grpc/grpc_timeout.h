#pragma once
// The caller's deadline as a header. A gRPC listener hands the time left of the call to
// its handler as "grpc-timeout" in the gRPC wire format (up to 8 digits and a unit:
// H M S m u n), so the flows can cap their own timeouts with it and GrpcUpstream passes
// what remains on to the next hop.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace causeway::grpc {

inline constexpr std::string_view kTimeoutHeader = "grpc-timeout";

// "1500m"; at least 1 ms, coarser units when 8 digits of milliseconds do not fit.
std::string timeout_text(std::chrono::milliseconds timeout);

// nullopt unless well-formed; rounded up to whole milliseconds.
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text);

}  // namespace causeway::grpc
