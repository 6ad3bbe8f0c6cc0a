#include "rabbitmq/confirm_tracker.h"

#include <utility>
#include <vector>

namespace causeway::rabbitmq {

void ConfirmTracker::report(OnDelivery& on_delivery, Outcome outcome, std::string error) {
  bridge::DeliveryReport delivery;
  delivery.outcome = outcome;
  delivery.error = std::move(error);
  on_delivery(delivery);
}

void ConfirmTracker::sent(std::uint64_t tag, Identity identity, Clock::time_point deadline, OnDelivery on_delivery) {
  unconfirmed_[tag] = Entry{std::move(identity), deadline, std::move(on_delivery), std::nullopt};
}

// Entries leave the map before their callbacks run, so a callback that publishes again
// finds the bookkeeping consistent.
void ConfirmTracker::settle(std::uint64_t tag, bool multiple, bool ack) {
  std::vector<Entry> settled;
  auto begin = unconfirmed_.begin();
  auto end = unconfirmed_.upper_bound(tag);
  if (!multiple) {
    begin = unconfirmed_.find(tag);
    if (begin == unconfirmed_.end()) return;  // confirmed after its deadline: answered already
    end = std::next(begin);
  }
  for (auto it = begin; it != end; ++it) settled.push_back(std::move(it->second));
  unconfirmed_.erase(begin, end);
  for (Entry& entry : settled) {
    if (!ack) {
      report(entry.on_delivery, Outcome::not_stored, "the broker refused it (basic.nack)");
    } else if (entry.returned) {
      report(entry.on_delivery, Outcome::unroutable, "no queue is bound for it: " + *entry.returned);
    } else {
      report(entry.on_delivery, Outcome::stored, "");
    }
  }
}

void ConfirmTracker::acked(std::uint64_t tag, bool multiple) { settle(tag, multiple, true); }

void ConfirmTracker::nacked(std::uint64_t tag, bool multiple) { settle(tag, multiple, false); }

bool ConfirmTracker::returned(const Identity& identity, const std::string& reason) {
  for (auto& [tag, entry] : unconfirmed_) {
    if (!entry.returned && entry.identity == identity) {
      entry.returned = reason;
      return true;
    }
  }
  return false;
}

std::size_t ConfirmTracker::expire(Clock::time_point now) {
  // Deadlines grow with the tags: every message gets the same timeout when it is written.
  std::vector<Entry> expired;
  while (!unconfirmed_.empty() && unconfirmed_.begin()->second.deadline <= now) {
    expired.push_back(std::move(unconfirmed_.begin()->second));
    unconfirmed_.erase(unconfirmed_.begin());
  }
  for (Entry& entry : expired) {
    report(entry.on_delivery, Outcome::maybe_stored, "sent, but the broker did not confirm it in time");
  }
  return expired.size();
}

void ConfirmTracker::channel_closed(const std::optional<std::string>& failed_exchange, const std::string& reason) {
  auto entries = std::exchange(unconfirmed_, {});
  bool found = false;
  for (auto& [tag, entry] : entries) {
    if (!found && failed_exchange && entry.identity.exchange == *failed_exchange) {
      found = true;
      report(entry.on_delivery, Outcome::rejected, reason);
    } else if (!found) {
      report(entry.on_delivery, Outcome::maybe_stored, "the channel closed before the broker confirmed it: " + reason);
    } else {
      report(entry.on_delivery, Outcome::not_stored, "the broker dropped it after a channel error: " + reason);
    }
  }
}

void ConfirmTracker::connection_lost(const std::string& reason) {
  auto entries = std::exchange(unconfirmed_, {});
  for (auto& [tag, entry] : entries) {
    report(entry.on_delivery, Outcome::maybe_stored,
           "the connection was lost before the broker confirmed it: " + reason);
  }
}

std::optional<ConfirmTracker::Clock::time_point> ConfirmTracker::next_deadline() const {
  if (unconfirmed_.empty()) return std::nullopt;
  return unconfirmed_.begin()->second.deadline;
}

}  // namespace causeway::rabbitmq
