#include "rabbitmq/amqp_session.h"

#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>

#include "rabbitmq/amqp_bytes.h"
#include "rabbitmq/amqp_tls.h"

namespace causeway::rabbitmq {
namespace {

timeval timeval_of(config::Duration duration) {
  const auto count = duration.count();
  return timeval{static_cast<time_t>(count / 1000), static_cast<suseconds_t>(count % 1000 * 1000)};
}

amqp_table_entry_t boolean_entry(const char* key) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  entry.value.value.boolean = 1;
  return entry;
}

amqp_table_entry_t string_entry(const char* key, const std::string& value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = amqp_bytes_t{value.size(), const_cast<char*>(value.data())};
  return entry;
}

// The broker tells a client that asked for it when it stops reading from the connection
// (a memory or disk alarm) and when it cancels a consumer (its queue was deleted).
amqp_rpc_reply_t login(amqp_connection_state_t state, const RabbitSettings& settings, const std::string& name) {
  amqp_table_entry_t capabilities[] = {boolean_entry("connection.blocked"), boolean_entry("consumer_cancel_notify")};
  const std::string connection_name = "causeway " + name;
  amqp_table_entry_t entries[] = {
      string_entry("product", "Causeway"), string_entry("connection_name", connection_name), {}};
  entries[2].key = amqp_cstring_bytes("capabilities");
  entries[2].value.kind = AMQP_FIELD_KIND_TABLE;
  entries[2].value.value.table = amqp_table_t{2, capabilities};
  amqp_table_t properties{3, entries};
  const int heartbeat =
      static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(settings.options.heartbeat).count());
  return amqp_login_with_properties(state, settings.url.vhost.c_str(), 0, 131072, heartbeat, &properties,
                                    AMQP_SASL_METHOD_PLAIN, settings.url.user.c_str(), settings.url.password.c_str());
}

std::string describe_close(std::uint16_t code, const amqp_bytes_t& reply_text) {
  return std::to_string(code) + " " + text_of(reply_text);
}

}  // namespace

std::unique_ptr<AmqpSession> AmqpSession::connect(const RabbitSettings& settings, const std::string& name,
                                                  std::string& why) {
  amqp_connection_state_t state = amqp_new_connection();
  if (!state) {
    why = "out of memory";
    return nullptr;
  }
  std::unique_ptr<AmqpSession> session(new AmqpSession(state));
  session->broken_ = "not connected";  // until logged in: the destructor must not say connection.close
  amqp_socket_t* socket = settings.url.tls ? tls_socket(state, *settings.tls, why) : amqp_tcp_socket_new(state);
  if (!socket) {
    if (why.empty()) why = "cannot create a socket";
    return nullptr;
  }
  const timeval connect_timeout = timeval_of(settings.options.connect_timeout);
  const int opened = amqp_socket_open_noblock(socket, settings.url.host.c_str(), settings.url.port, &connect_timeout);
  if (opened != AMQP_STATUS_OK) {
    why = std::string("cannot connect: ") + amqp_error_string2(opened);
    return nullptr;
  }
  amqp_set_handshake_timeout(state, &connect_timeout);
  // An RPC that takes longer means a sick broker; the library then closes the socket.
  const timeval rpc_timeout = timeval_of(std::max(settings.options.confirm_timeout, settings.options.connect_timeout));
  amqp_set_rpc_timeout(state, &rpc_timeout);
  const amqp_rpc_reply_t reply = login(state, settings, name);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
    session->broken_.clear();
    return session;
  }
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* close = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
    why = "the broker refused the login: " + describe_close(close->reply_code, close->reply_text);
  } else if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    why = std::string("login failed: ") + amqp_error_string2(reply.library_error);
  } else {
    why = "login failed";
  }
  return nullptr;
}

AmqpSession::~AmqpSession() {
  if (!broken()) amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(state_);
}

void AmqpSession::mark_broken(std::string why) {
  if (broken_.empty()) broken_ = why.empty() ? "connection lost" : std::move(why);
}

CallResult AmqpSession::check_rpc(amqp_channel_t channel, const char* what) {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_);
  CallResult result;
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL: return result;
    case AMQP_RESPONSE_NONE:
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      mark_broken(std::string(what) + ": " + amqp_error_string2(reply.library_error));
      break;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        return closed_by_broker(channel, *static_cast<const amqp_channel_close_t*>(reply.reply.decoded));
      }
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        connection_closed_by_broker(*static_cast<const amqp_connection_close_t*>(reply.reply.decoded));
      } else {
        mark_broken(std::string(what) + ": an unexpected answer from the broker");
      }
      break;
  }
  result.kind = CallResult::Kind::connection_broken;
  result.error = broken_;
  return result;
}

bool AmqpSession::check_sent(int status, const char* what) {
  if (status == AMQP_STATUS_OK) return true;
  mark_broken(std::string(what) + ": " + amqp_error_string2(status));
  return false;
}

CallResult AmqpSession::open_channel(amqp_channel_t channel) {
  amqp_channel_open(state_, channel);
  return check_rpc(channel, "channel.open");
}

void AmqpSession::close_channel(amqp_channel_t channel) {
  if (broken()) return;
  const amqp_rpc_reply_t reply = amqp_channel_close(state_, channel, AMQP_REPLY_SUCCESS);
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    mark_broken(std::string("channel.close: ") + amqp_error_string2(reply.library_error));
  }
  if (reply.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION) return;
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {  // both sides closed it at once
    closed_by_broker(channel, *static_cast<const amqp_channel_close_t*>(reply.reply.decoded));
  } else if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    connection_closed_by_broker(*static_cast<const amqp_connection_close_t*>(reply.reply.decoded));
  }
}

CallResult AmqpSession::closed_by_broker(amqp_channel_t channel, const amqp_channel_close_t& close) {
  CallResult result{CallResult::Kind::channel_closed, close.reply_code, text_of(close.reply_text)};
  amqp_channel_close_ok_t close_ok{};
  if (!check_sent(amqp_send_method(state_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok), "channel.close-ok")) {
    result.kind = CallResult::Kind::connection_broken;
  }
  return result;
}

void AmqpSession::connection_closed_by_broker(const amqp_connection_close_t& close) {
  amqp_connection_close_ok_t close_ok{};
  amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
  mark_broken("the broker closed the connection: " + describe_close(close.reply_code, close.reply_text));
}

}  // namespace causeway::rabbitmq
