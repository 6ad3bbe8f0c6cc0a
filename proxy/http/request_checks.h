#pragma once
// Checks on a request head that Beast's parser leaves to us: the DESIGN.md limits and
// the framing ambiguities behind request smuggling. Pure, so it is unit-tested and fuzzed.

#include <boost/beast/http/message.hpp>
#include <optional>
#include <string>

#include "bridge/failure.h"
#include "config/config.h"

namespace causeway::http {

struct Rejection {
  bridge::Failure failure;
  std::string message;
};

// nullopt when the head may be served. Every rejection closes the connection, since
// after a framing doubt the next request's first byte cannot be trusted.
std::optional<Rejection> check_request_head(const boost::beast::http::request_header<>& head,
                                            const config::HttpLimits& limits);

// The path and query of a request target: the target itself in origin form
// ("/a?b"), the part after the authority in absolute form ("http://host/a?b" -> "/a?b").
std::string_view origin_form(std::string_view target);

// The authority of an absolute-form target without userinfo ("http://u@h:8080/a" -> "h:8080");
// empty in origin form. RFC 9112 3.2.2: it, not Host, names the host the client asked for.
std::string_view target_authority(std::string_view target);

// RFC 3986 host [":" port]: a name, an IPv4 address or a bracketed IPv6 one.
bool valid_host(std::string_view value);

}  // namespace causeway::http
