#pragma once
// A flow is what a matched route does with a request: publish it, wait for a reply,
// forward it. It knows the pattern, not the wire libraries.

#include "bridge/exchange.h"
#include "routing/captures.h"

namespace causeway::bridge {

class Flow {
 public:
  virtual ~Flow() = default;
  virtual void handle(Request request, routing::Captures captures, Responder respond) = 0;
  // See RequestHandler::refusal: a flow answering in another protocol renders it so.
  virtual Response refusal(const Request& head, Response plain) { return plain; }
};

}  // namespace causeway::bridge
