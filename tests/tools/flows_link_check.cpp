// Links the flows and nothing else: what this binary needs at run time (readelf -d) is
// what the flows need, and flows_are_neutral.sh checks it holds no wire library.
#include <iostream>

#include "bridge/delivery_flow.h"
#include "bridge/dispatcher.h"
#include "bridge/event_flow.h"
#include "bridge/request_reply_flow.h"
#include "metrics/registry.h"

int main() {
  causeway::metrics::Registry registry;
  causeway::bridge::FlowMetrics metrics(registry);
  causeway::bridge::ReplyWaiters waiters(causeway::bridge::ReplyLimits{});
  std::cout << "flows linked: " << sizeof(causeway::bridge::DeliveryFlow) + sizeof(causeway::bridge::EventFlow) +
                                       sizeof(causeway::bridge::RequestReplyFlow) + sizeof(causeway::bridge::Dispatcher)
            << "\n";
  return 0;
}
