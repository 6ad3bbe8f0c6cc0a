#pragma once
// The protocol-neutral request and response every listener hands to the flows.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::bridge {

struct Header {
  std::string name;  // lower-case
  std::string value;
};
using Headers = std::vector<Header>;

// First value of a header by its lower-case name, or nullptr.
const std::string* find_header(const Headers& headers, std::string_view lower_name);

struct Request {
  std::string method;
  std::string path;  // as received, without the query
  std::string query;
  Headers headers;
  std::string body;
};

class BodyStream;

struct Response {
  int status = 200;
  Headers headers;  // content-type is one of them
  std::string body;
  // A body that goes on after `body` (bridge/body_stream.h); null for a whole one.
  std::shared_ptr<BodyStream> stream = nullptr;
};

// Answers a request exactly once, from any thread. A responder dropped without
// answering answers 500 itself, so no connection can wait forever on a lost callback.
class Responder {
 public:
  using Sink = std::function<void(Response)>;
  explicit Responder(Sink sink);
  void operator()(Response response) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

struct ForwardPlan;

// What a listener calls for each request it has read whole.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void handle(Request request, Responder respond) = 0;
  // The listener's own refusal of a request whose head it read (413, 408 on the body),
  // in the protocol of the route it was for.
  virtual Response refusal(const Request& head, Response plain) { return plain; }

  // Whether some request may be streamed to an upstream (then the listener asks
  // forward_plan() with each head before reading its body).
  virtual bool forwards() const { return false; }
  // For a request whose head is read (no body yet): the plan when its route forwards.
  virtual std::shared_ptr<const ForwardPlan> forward_plan(const Request& head) { return nullptr; }
};

}  // namespace causeway::bridge
