#pragma once
// A listener's request handler: route -> flow, with the request counted and timed
// per route, and 404/405/400 answered for requests no route takes.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "bridge/exchange.h"
#include "bridge/flow.h"
#include "bridge/admission.h"
#include "bridge/broker_client.h"
#include "bridge/flow_metrics.h"
#include "bridge/forward_plan.h"
#include "bridge/message_producer.h"
#include "bridge/reply_waiters.h"
#include "config/config.h"
#include "routing/route_table.h"

namespace causeway::bridge {

class CallbackSender;

// A route-table entry of a route whose paths come with its protos (a google.api.http binding).
struct AnnotatedBinding {
  std::string method;
  routing::PathTemplate path;
  std::unique_ptr<Flow> flow;
};

// A SOAP listener route's flow on its own (its admission and counting done), for the
// endpoint of its path to call once it knows which operation a request is for.
struct SoapOperationRoute {
  const config::Route* route = nullptr;
  std::unique_ptr<Flow> flow;
};

// What the flows are built from, owned by the server.
struct FlowResources {
  // The producer to publish on for a broker name the config defines; flows keep it alive.
  std::function<std::shared_ptr<MessageProducer>(const std::string& broker)> producer;
  // What a request must carry for its reply to come to this instance: per broker and
  // the route's `reply:` (opened when the runtime was built).
  std::function<ReplyChannel(const std::string& broker, const std::string& reply)> reply_channel;
  // A broker's client, for stream routes (which subscribe per client).
  std::function<std::shared_ptr<BrokerClient>(const std::string& broker)> broker;
  ReplyWaiters* waiters = nullptr;
  CallbackSender* callbacks = nullptr;  // reply callbacks of request-reply routes
  FlowMetrics* metrics = nullptr;
  // The client and breaker of an upstream, for forward routes.
  std::function<ForwardUpstream(const std::string& upstream)> forward_upstream;
  // The flow of a route with a gRPC side (grpc/grpc_flows.h), around its plain flow if any.
  std::function<std::unique_ptr<Flow>(const config::Route&, std::unique_ptr<Flow> plain)> grpc_flow;
  // The flow of a route with a SOAP side (soap/soap_flows.h); from a SOAP listener, the
  // JSON call of its REST or SOAP upstream (a gRPC one gets grpc_flow's REST -> gRPC).
  std::function<std::unique_ptr<Flow>(const config::Route&)> soap_flow;
  // The path of a SOAP listener route (its own, or its WSDL port's), and the endpoint
  // serving every operation on one path.
  std::function<std::string(const config::Route&)> soap_path;
  // The endpoint of one SOAP path; `scheme` ("http", "https") is the listener's, for ?wsdl.
  std::function<std::unique_ptr<Flow>(std::vector<SoapOperationRoute>, std::string scheme)> soap_endpoint;
  // The bindings of a route without a path (config::HttpSource::annotated).
  std::function<std::vector<AnnotatedBinding>(const config::Route&)> annotated_bindings;
};

// Requests for reply polling are counted under this route label.
inline constexpr std::string_view kReplyPollRoute = "(replies)";

class Dispatcher : public RequestHandler {
 public:
  // Builds the flow of every route on this listener (and reply polling when one of
  // them is request-reply); the config stays alive with it.
  Dispatcher(std::shared_ptr<const config::Config> config, const std::string& listener,
             const FlowResources& resources);
  ~Dispatcher() override;

  void handle(Request request, Responder respond) override;
  Response refusal(const Request& head, Response plain) override;
  bool forwards() const override { return forwards_; }
  std::shared_ptr<const ForwardPlan> forward_plan(const Request& head) override;

 private:
  struct Bound {
    const config::Route* route = nullptr;  // null for reply polling
    std::unique_ptr<Flow> flow;            // null for forward routes: the listener streams those
    std::optional<ForwardUpstream> upstream;
    std::shared_ptr<TokenBucket> bucket;
    std::shared_ptr<ConcurrencyLimit> concurrency;
    std::shared_ptr<RouteStats> stats;  // shared: an answer may come after a reload dropped the route
  };
  class AdmittedFlow;
  std::shared_ptr<const config::Config> config_;
  // 429 with Retry-After when the route's rate or concurrency limit is reached; else
  // the concurrency slot taken (null when the route has no such limit).
  static std::variant<std::shared_ptr<void>, Response> admit(Bound& bound);
  // Admits, counts and hands the request to the bound's flow.
  static void run(Bound& bound, Request request, routing::Captures captures, Responder respond,
                  std::chrono::steady_clock::time_point started);
  Bound make_bound(const config::Route& route, const FlowResources& resources) const;

  routing::RouteTable table_;
  std::vector<Bound> routes_;
  // SOAP listener routes, reached through the endpoint of their path (in routes_); kept
  // by pointer so the endpoints may hold them.
  std::vector<std::unique_ptr<Bound>> soap_routes_;
  RouteStats unmatched_;
  bool forwards_ = false;
};

}  // namespace causeway::bridge
