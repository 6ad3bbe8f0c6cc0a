#include "bridge/direct_response_flow.h"

namespace causeway::bridge {

void DirectResponseFlow::handle(Request, routing::Captures, Responder respond) {
  Response response{response_.status, {}, response_.body};
  if (!response_.body.empty()) response.headers.push_back({"content-type", response_.content_type});
  respond(std::move(response));
}

}  // namespace causeway::bridge
