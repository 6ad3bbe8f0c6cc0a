#include "rabbitmq/topology.h"

#include "rabbitmq/amqp_bytes.h"

namespace causeway::rabbitmq {
namespace {

constexpr std::uint16_t kNotFound = 404;
// Exchange names may come from a route's template: the cache of known ones stays bounded,
// and forgetting them costs a passive declare each.
constexpr std::size_t kKnownExchanges = 10000;

CallResult declare_off(CallResult missing) {
  missing.error += " (and declare is off)";
  return missing;
}

}  // namespace

void Topology::connected(AmqpSession&) {
  channel_ = 0;
  known_exchanges_.clear();
}

void Topology::disconnected(const std::string&) { channel_ = 0; }

CallResult Topology::open(AmqpSession& session) {
  if (channel_ != 0) return {};
  channel_ = numbers_.take(*this);
  if (channel_ == 0) return {CallResult::Kind::channel_closed, 0, "no channel number left on the connection"};
  amqp_channel_open(session.state(), channel_);
  return checked(session, "channel.open");
}

CallResult Topology::checked(AmqpSession& session, const char* what) {
  CallResult result = session.check_rpc(channel_, what);
  if (!result) {
    numbers_.release(channel_);
    channel_ = 0;
  }
  return result;
}

CallResult Topology::ensure_exchange(AmqpSession& session, const std::string& name) {
  if (name.empty() || name.starts_with("amq.") || known_exchanges_.contains(name)) return {};
  if (CallResult opened = open(session); !opened) return opened;
  amqp_exchange_declare(session.state(), channel_, bytes_of(name), amqp_cstring_bytes("topic"), 1, 0, 0, 0,
                        amqp_empty_table);
  CallResult result = checked(session, "exchange.declare (passive)");
  if (result.code == kNotFound && result.kind == CallResult::Kind::channel_closed) {
    if (!options_.declare) return declare_off(result);
    if (CallResult opened = open(session); !opened) return opened;
    amqp_exchange_declare(session.state(), channel_, bytes_of(name), amqp_cstring_bytes("topic"), 0, 1, 0, 0,
                          amqp_empty_table);
    result = checked(session, "exchange.declare");
  }
  if (result && known_exchanges_.size() >= kKnownExchanges) known_exchanges_.clear();
  if (result) known_exchanges_.insert(name);
  return result;
}

CallResult Topology::declare_queue(AmqpSession& session, const std::string& name, bool passive,
                                   std::int64_t& messages) {
  if (CallResult opened = open(session); !opened) return opened;
  amqp_table_entry_t quorum{};
  quorum.key = amqp_cstring_bytes("x-queue-type");
  quorum.value.kind = AMQP_FIELD_KIND_UTF8;
  quorum.value.value.bytes = amqp_cstring_bytes("quorum");
  const amqp_table_t arguments =
      !passive && options_.queue_type == QueueType::quorum ? amqp_table_t{1, &quorum} : amqp_empty_table;
  const amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(session.state(), channel_, bytes_of(name), passive, !passive, 0, 0, arguments);
  CallResult result = checked(session, passive ? "queue.declare (passive)" : "queue.declare");
  if (result && ok) messages = ok->message_count;
  return result;
}

CallResult Topology::ensure_queue(AmqpSession& session, const std::string& name, std::int64_t& messages) {
  CallResult result = declare_queue(session, name, true, messages);
  if (result.code != kNotFound || result.kind != CallResult::Kind::channel_closed) return result;
  if (!options_.declare) return declare_off(result);
  return declare_queue(session, name, false, messages);
}

CallResult Topology::declare_stream_queue(AmqpSession& session, std::int64_t max_length, std::string& name) {
  if (CallResult opened = open(session); !opened) return opened;
  amqp_table_entry_t arguments[2]{};
  arguments[0].key = amqp_cstring_bytes("x-max-length");
  arguments[0].value.kind = AMQP_FIELD_KIND_I64;
  arguments[0].value.value.i64 = max_length;
  arguments[1].key = amqp_cstring_bytes("x-overflow");
  arguments[1].value.kind = AMQP_FIELD_KIND_UTF8;
  arguments[1].value.value.bytes = amqp_cstring_bytes("drop-head");
  const amqp_queue_declare_ok_t* ok = amqp_queue_declare(session.state(), channel_, amqp_empty_bytes, 0, 0, 1, 1,
                                                         amqp_table_t{2, arguments});
  CallResult result = checked(session, "queue.declare (stream)");
  if (result && ok) name = text_of(ok->queue);
  return result;
}

CallResult Topology::count(AmqpSession& session, const std::string& queue, std::int64_t& messages) {
  return declare_queue(session, queue, true, messages);
}

CallResult Topology::bind(AmqpSession& session, const std::string& queue, const std::string& exchange,
                          const std::string& routing_key) {
  if (CallResult ensured = ensure_exchange(session, exchange); !ensured) return ensured;
  if (CallResult opened = open(session); !opened) return opened;
  amqp_queue_bind(session.state(), channel_, bytes_of(queue), bytes_of(exchange), bytes_of(routing_key),
                  amqp_empty_table);
  return checked(session, "queue.bind");
}

}  // namespace causeway::rabbitmq
