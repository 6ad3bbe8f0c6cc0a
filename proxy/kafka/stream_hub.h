#pragma once
// The readers behind a topic's stream clients: one consumer (no group) reads the topic
// from its end and hands each message to every live client, so a thousand clients cost
// one reader. A client resuming from an earlier position is caught up by a reader of
// its own (a few at a time) until it reaches the shared reader, then joins it.
//
// A position (an SSE id) is "topic/p/o" for the message at offset o of partition p,
// then ",q/o" for each other partition: the last offset of it the client was past.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/event_stream.h"
#include "config/config.h"

namespace causeway::kafka {

class StreamHub {
 public:
  StreamHub(std::string broker, std::string bootstrap, std::vector<config::BrokerOption> options, std::string topic);
  ~StreamHub();
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  // Waits (up to a few seconds) until the topic's end is known, then subscribes. Throws
  // bridge::BadStreamPosition for a position of another topic or a malformed one, and
  // std::runtime_error when the topic cannot be read.
  std::unique_ptr<bridge::StreamSubscription> subscribe(const bridge::StreamRequest& request,
                                                        std::shared_ptr<bridge::StreamReceiver> receiver);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Per partition, the next offset a client wants, from a position; nullopt when it is
// not one of `topic`'s.
std::optional<std::map<std::int32_t, std::int64_t>> parse_position(std::string_view position, std::string_view topic);
// The position after the message at `offset` of `partition`, with `next` the next
// offset wanted per partition.
std::string format_position(std::string_view topic, std::int32_t partition, std::int64_t offset,
                            const std::map<std::int32_t, std::int64_t>& next);

}  // namespace causeway::kafka
