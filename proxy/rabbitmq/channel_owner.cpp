#include "rabbitmq/channel_owner.h"

namespace causeway::rabbitmq {

void ChannelNumbers::reset(int channel_max) {
  max_ = channel_max <= 0 ? 65535 : channel_max;  // 0: no limit
  next_ = 1;
  owners_.clear();
}

amqp_channel_t ChannelNumbers::take(ChannelOwner& owner) {
  for (int tried = 0; tried < max_; ++tried) {
    const amqp_channel_t channel = next_;
    next_ = next_ >= max_ ? 1 : static_cast<amqp_channel_t>(next_ + 1);
    if (owners_.emplace(channel, &owner).second) return channel;
  }
  return 0;
}

void ChannelNumbers::release(amqp_channel_t channel) { owners_.erase(channel); }

ChannelOwner* ChannelNumbers::owner(amqp_channel_t channel) const {
  auto found = owners_.find(channel);
  return found == owners_.end() ? nullptr : found->second;
}

}  // namespace causeway::rabbitmq
