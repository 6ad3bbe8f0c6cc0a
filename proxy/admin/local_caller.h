#pragma once
// Who may change state through the admin listener. A browser page on the same host can
// POST to 127.0.0.1 (a form needs no CORS preflight) and a name rebound to 127.0.0.1 can
// too, so a state change needs a loopback Host and, when the client sends an Origin, the
// admin listener's own. Browsers cannot forge either header; curl and scripts send no Origin.

#include <cstdint>
#include <optional>
#include <string>

#include "bridge/exchange.h"

namespace causeway::admin {

// Why the request may not change state, or nullopt when it may. `admin_port` is the admin
// listener's bound port: its own origins are http://{localhost,127.x.x.x,[::1]}:admin_port.
std::optional<std::string> why_not_local(const bridge::Request& request, std::uint16_t admin_port);

// The port of a bound "host:port" or "[v6]:port"; nullopt when there is none.
std::optional<std::uint16_t> port_of(std::string_view address);

}  // namespace causeway::admin
