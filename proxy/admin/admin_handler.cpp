#include "admin/admin_handler.h"

#include "admin/asyncapi_view.h"
#include "admin/config_view.h"
#include "admin/dashboard_page.h"
#include "admin/dashboard_view.h"
#include "admin/exposition.h"
#include "admin/local_caller.h"
#include "admin/openapi_view.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "bridge/failure.h"
#include "metrics/registry.h"

namespace causeway::admin {

using bridge::Failure;
using bridge::Response;

namespace {

Response json_response(int status, std::string body) {
  return Response{status, {{"content-type", "application/json"}}, std::move(body)};
}

}  // namespace

AdminHandler::AdminHandler(metrics::Registry& registry, ReadinessCheck readiness,
                           std::function<std::shared_ptr<const config::Config>()> current_config,
                           std::function<RuntimeFacts()> facts, std::function<ReloadResult()> reload)
    : registry_(registry),
      readiness_(std::move(readiness)),
      current_config_(std::move(current_config)),
      facts_(std::move(facts)),
      reload_(std::move(reload)),
      refused_(registry.counter("causeway_admin_requests_refused_total",
                                "Admin state changes refused: not from a loopback Host or from another Origin")
                   .with({})) {}

std::optional<Response> AdminHandler::refusal_of_state_change(const bridge::Request& request) {
  const auto port = port_of(facts_().admin_address);
  auto why = port ? why_not_local(request, *port) : std::optional<std::string>("the admin listener is not bound yet");
  if (!why) return std::nullopt;
  refused_.inc();
  return json_response(403, boost::json::serialize(boost::json::object{{"error", "forbidden"}, {"message", *why}}));
}

void AdminHandler::handle(bridge::Request request, bridge::Responder respond) {
  const auto& path = request.path;
  if (path == "/reload") {
    if (request.method != "POST") {
      auto response = bridge::failure_response(Failure::method_not_allowed, "/reload answers POST only");
      response.headers.push_back({"allow", "POST"});
      respond(std::move(response));
      return;
    }
    if (auto refusal = refusal_of_state_change(request)) {
      respond(std::move(*refusal));
      return;
    }
    // A bad file is the caller's problem to fix: 400 with the file:line:col message.
    auto result = reload_();
    namespace json = boost::json;
    respond(result.ok ? json_response(200, json::serialize(json::object{{"result", "reloaded"}, {"message", result.message}}))
                      : json_response(400, json::serialize(json::object{{"error", "reload_failed"}, {"message", result.message}})));
    return;
  }
  const bool known = path == "/" || path == "/dashboard.json" || path == "/openapi.json" ||
                     path == "/asyncapi.json" || path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/config" ||
                     path == "/routes";
  if (!known) {
    respond(bridge::failure_response(
        Failure::not_found, "no admin endpoint " + path + " (try /, /dashboard.json, /openapi.json, /asyncapi.json, /metrics, /healthz, /readyz, /config, /routes, POST /reload)"));
    return;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = bridge::failure_response(Failure::method_not_allowed, path + " answers GET only");
    response.headers.push_back({"allow", "GET, HEAD"});
    respond(std::move(response));
    return;
  }
  if (path == "/") {
    respond(Response{200, {{"content-type", "text/html; charset=utf-8"}, {"cache-control", "no-store"}},
                     std::string(dashboard_page())});
  } else if (path == "/dashboard.json") {
    auto readiness = readiness_();  // first, so the broker states in the facts are fresh
    respond(json_response(200, dashboard_json(*current_config_(), facts_(), parse_exposition(registry_.render()),
                                              readiness)));
  } else if (path == "/openapi.json") {
    respond(json_response(200, openapi_json(*current_config_(), facts_())));
  } else if (path == "/asyncapi.json") {
    respond(json_response(200, asyncapi_json(*current_config_(), facts_())));
  } else if (path == "/metrics") {
    respond(Response{200, {{"content-type", "text/plain; version=0.0.4; charset=utf-8"}}, registry_.render()});
  } else if (path == "/healthz") {
    respond(json_response(200, R"({"status":"ok"})"));
  } else if (path == "/readyz") {
    if (auto reason = readiness_()) {
      respond(json_response(503, boost::json::serialize(boost::json::object{{"error", "not_ready"}, {"message", *reason}})));
    } else {
      respond(json_response(200, R"({"status":"ready"})"));
    }
  } else if (path == "/config") {
    respond(json_response(200, config_json(*current_config_(), facts_())));
  } else {
    respond(json_response(200, routes_json(*current_config_(), parse_exposition(registry_.render()))));
  }
}

}  // namespace causeway::admin
