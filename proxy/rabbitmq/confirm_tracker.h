#pragma once
// Publisher confirms on one channel: which message each basic.ack, basic.nack and
// basic.return is about, and what became of those still unconfirmed when the channel
// or the connection goes. Pure bookkeeping, called on the connection's I/O thread.
//
// A basic.return carries no delivery tag. The broker routes a channel's messages in
// the order they were published and sends a message's basic.return before the
// basic.ack that covers it, but a multiple ack or an earlier message still waiting for
// its disk write means the next ack is not necessarily that message's. So a return is
// matched by order among the messages it can be: the oldest unconfirmed one, not yet
// returned, with the same exchange, routing key and message id.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "bridge/message_producer.h"

namespace causeway::rabbitmq {

class ConfirmTracker {
 public:
  using Clock = std::chrono::steady_clock;
  using OnDelivery = bridge::MessageProducer::OnDelivery;

  // What a basic.return says about the message it gives back.
  struct Identity {
    std::string exchange;
    std::string routing_key;
    std::optional<std::string> message_id;
    bool operator==(const Identity&) const = default;
  };

  // Written on the channel as delivery tag `tag` (1, 2, 3, ... after confirm.select).
  void sent(std::uint64_t tag, Identity identity, Clock::time_point deadline, OnDelivery on_delivery);

  // stored, or unroutable for a returned message; multiple: every tag up to `tag`.
  void acked(std::uint64_t tag, bool multiple);
  void nacked(std::uint64_t tag, bool multiple);  // not_stored
  // False when no unconfirmed message can be the returned one.
  bool returned(const Identity& identity, const std::string& reason);

  // maybe_stored for those whose deadline passed; how many.
  std::size_t expire(Clock::time_point now);
  // The broker closed the channel (a channel error) and dropped whatever came after the
  // message that caused it. When the error names an exchange, the first unconfirmed
  // message to it was that message: rejected; those before it maybe_stored, those after
  // it not_stored. Otherwise each is maybe_stored.
  void channel_closed(const std::optional<std::string>& failed_exchange, const std::string& reason);
  // Each is maybe_stored: it was written, and the broker may have taken it.
  void connection_lost(const std::string& reason);

  std::size_t size() const { return unconfirmed_.size(); }
  std::optional<Clock::time_point> next_deadline() const;

 private:
  struct Entry {
    Identity identity;
    Clock::time_point deadline;
    OnDelivery on_delivery;
    std::optional<std::string> returned;  // the return's reason
  };
  using Outcome = bridge::DeliveryReport::Outcome;
  static void report(OnDelivery& on_delivery, Outcome outcome, std::string error);
  void settle(std::uint64_t tag, bool multiple, bool ack);

  std::map<std::uint64_t, Entry> unconfirmed_;
};

}  // namespace causeway::rabbitmq
