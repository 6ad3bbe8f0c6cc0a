#pragma once
// Where a RabbitMQ broker is and who Causeway is there: amqp[s]://user:pass@host:port/vhost,
// as RabbitMQ's URI spec writes it (user, password and vhost percent-encoded).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace causeway::rabbitmq {

struct AmqpUrl {
  bool tls = false;  // amqps://
  std::string user = "guest";
  std::string password = "guest";
  std::string host;  // an IPv6 literal without its brackets
  std::uint16_t port = 5672;
  std::string vhost = "/";

  bool operator==(const AmqpUrl&) const = default;

  // "amqp://127.0.0.1:5672/%2f": no credentials, for the log, /config and address().
  std::string address() const;
  // "amqp://guest:<redacted>@127.0.0.1:5672/%2f": as configured, the password hidden.
  std::string redacted() const;
};

// Missing parts take the defaults above (port 5671 for amqps); an empty vhost ("host/")
// is "/" as well, since that is what people mean by it. Nullopt with `why` set when the
// text is not such a URL.
std::optional<AmqpUrl> parse_amqp_url(std::string_view text, std::string& why);

}  // namespace causeway::rabbitmq
