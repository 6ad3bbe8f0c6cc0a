#include "kafka/kafka_message.h"

#include <librdkafka/rdkafka.h>

namespace causeway::kafka {

bridge::InboundMessage to_inbound(const rd_kafka_message_t& message) {
  bridge::InboundMessage inbound;
  inbound.topic = rd_kafka_topic_name(message.rkt);
  inbound.partition = message.partition;
  inbound.offset = message.offset;
  if (message.key) inbound.key.emplace(static_cast<const char*>(message.key), message.key_len);
  if (message.payload) inbound.value.assign(static_cast<const char*>(message.payload), message.len);
  inbound.origin = {{"topic", inbound.topic},
                    {"partition", std::to_string(inbound.partition)},
                    {"offset", std::to_string(inbound.offset)}};
  inbound.origin_prefix = "x-kafka-";
  inbound.position = inbound.topic + "/" + std::to_string(inbound.partition) + "/" + std::to_string(inbound.offset);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      inbound.headers.push_back({name, value ? std::string(static_cast<const char*>(value), size) : std::string()});
    }
  }
  return inbound;
}

}  // namespace causeway::kafka
