#pragma once
// librdkafka's messages as the flows see them.

#include "bridge/inbound_message.h"

struct rd_kafka_message_s;

namespace causeway::kafka {

bridge::InboundMessage to_inbound(const rd_kafka_message_s& message);

}  // namespace causeway::kafka
