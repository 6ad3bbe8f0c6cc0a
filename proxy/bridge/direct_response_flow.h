#pragma once
// to: {status, body, content_type}: the proxy answers by itself.

#include "bridge/flow.h"
#include "config/config.h"

namespace causeway::bridge {

class DirectResponseFlow : public Flow {
 public:
  explicit DirectResponseFlow(const config::DirectResponse& response) : response_(response) {}
  void handle(Request request, routing::Captures captures, Responder respond) override;

 private:
  const config::DirectResponse& response_;
};

}  // namespace causeway::bridge
