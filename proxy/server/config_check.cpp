#include "server/config_check.h"


#include <string_view>
#include <unordered_map>

#include "config/broker_kinds.h"
#include "config/config_loader.h"
#include "grpc/grpc_flows.h"
#include "grpc/proto_catalog.h"
#include "grpc/request_fields.h"
#include "soap/soap_listener.h"
#include "soap/wsdl_catalog.h"
#include "routing/route_table.h"
#include "webhooks/webhook_signature.h"

#include <spdlog/spdlog.h>

namespace causeway::server {

namespace {

template <typename Build, typename Settings>
http::LoadedTls built_at_setting(const config::Config& config, const std::string& path, Build build,
                                 const Settings& settings) {
  try {
    return build(settings);
  } catch (const http::TlsFileError& error) {
    throw config::ConfigError(config.file, error.mark(), path + ".tls." + error.setting(), error.what());
  }
}

}  // namespace

http::LoadedTls listener_tls(const config::Config& config, const config::Listener& listener) {
  return built_at_setting(config, "listeners." + listener.name, http::server_tls, *listener.tls);
}

http::LoadedTls upstream_tls(const config::Config& config, const config::Upstream& upstream) {
  return built_at_setting(config, "upstreams." + upstream.name, http::client_tls, *upstream.tls);
}

namespace {

// `served`: the rpc is what a gRPC listener serves (from: {rpc}), then `stream` is the
// route's, if it has one; an upstream's (to: {rpc}) is called unary.
const grpc::RpcMethod* check_rpc(const config::Config& config, const grpc::ProtoCatalog* catalog,
                                 const config::RpcName& rpc, bool served,
                                 const config::TopicTarget::Stream* stream = nullptr) {
  auto fail = [&](const std::string& message) { throw config::ConfigError(config.file, rpc.mark, rpc.where, message); };
  if (!catalog) fail("a gRPC route needs 'protos:' (the .proto files or descriptor sets of its methods)");
  const bool grpc_stream = stream && stream->framing == config::TopicTarget::Stream::Framing::grpc;
  try {
    if (rpc.any_method()) {
      catalog->methods(rpc.name);
      return nullptr;
    }
    const grpc::RpcMethod& method = catalog->method(rpc.name);
    if (!served && !method.unary()) fail(rpc.name + " is a streaming method; Causeway calls unary methods only");
    if (method.client_streaming) {
      fail(rpc.name + " is a client-streaming method; Causeway serves unary and server-streaming calls only");
    }
    if (method.server_streaming && !grpc_stream) {
      fail(rpc.name + " is a server-streaming method: route it to a topic with 'stream: grpc'");
    }
    if (!method.server_streaming && grpc_stream) {
      fail(rpc.name + " is unary; 'stream: grpc' needs a server-streaming method");
    }
    return &method;
  } catch (const grpc::CatalogError& error) {
    throw config::ConfigError(config.file, rpc.mark, rpc.where, error.what());
  }
}

// A gRPC stream route's key names fields of the request message.
void check_stream_key(const config::Config& config, const grpc::RpcMethod& method, const config::TopicTarget& target) {
  if (!target.key) return;
  for (const std::string& field : target.key->variables()) {
    if (auto problem = grpc::key_field_problem(method.input, field); !problem.empty()) {
      throw config::ConfigError(config.file, target.stream->key_mark, target.stream->key_where, problem);
    }
  }
}

// Routes without a path take their methods' google.api.http bindings: each one must
// bring some, and none may match what another route of the listener matches.
void check_bindings(const config::Config& config, const grpc::ProtoCatalog& catalog) {
  // Grouped once, so a config with many listeners is not read once per listener.
  std::unordered_map<std::string_view, std::vector<const config::Route*>> routes_of;
  for (const auto& route : config.routes) {
    if (const auto* from = route.http_source()) routes_of[from->listener].push_back(&route);
  }
  for (const auto& listener : config.listeners) {
    std::vector<routing::RouteEntry> entries;
    std::vector<std::string> names;             // what each entry is, for the message
    std::vector<const config::Route*> annotated;  // the route of each entry from a binding, else null
    for (const config::Route* listed : routes_of[listener.name]) {
      const auto& route = *listed;
      const auto* from = route.http_source();
      if (from->soap) continue;  // its endpoint's path: check_soap_paths()
      if (!from->annotated) {
        entries.push_back({entries.size(), from->method, from->path});
        names.push_back("route '" + route.name + "'");
        annotated.push_back(nullptr);
        continue;
      }
      const auto& rpc = *std::get<config::UpstreamTarget>(route.to).rpc;
      std::vector<std::string> skipped;
      const auto bindings = grpc::rest_bindings(catalog, route, skipped);
      for (const auto& why : skipped) spdlog::warn("route '{}': binding {} is left out", route.name, why);
      if (bindings.empty()) {
        throw config::ConfigError(config.file, rpc.mark, rpc.where,
                                  rpc.name + " has no google.api.http binding Causeway can route; give the route a "
                                             "'path' (and a 'method')");
      }
      for (const auto& binding : bindings) {
        entries.push_back({entries.size(), binding.http_method, binding.path});
        names.push_back("binding " + binding.http_method + " " + binding.path.text() + " of " + binding.rpc->service +
                        "/" + binding.rpc->name);
        annotated.push_back(&route);
      }
    }
    if (auto clash = routing::RouteTable::find_ambiguity(entries)) {
      const std::size_t later = annotated[clash->second] ? clash->second : clash->first;
      const std::size_t other = later == clash->second ? clash->first : clash->second;
      const auto& rpc = *std::get<config::UpstreamTarget>(annotated[later]->to).rpc;
      throw config::ConfigError(config.file, rpc.mark, rpc.where,
                                names[later] + " is ambiguous with " + names[other] + ": both match the same requests");
    }
  }
}

// The message types of `protos:`, null when there are none; every rpc a route names is
// checked against them.
std::shared_ptr<const grpc::ProtoCatalog> load_catalog(const config::Config& config) {
  std::shared_ptr<const grpc::ProtoCatalog> catalog;
  if (config.protos) {
    std::vector<std::string> files;
    for (const auto& file : config.protos->files) files.push_back(file.path);
    try {
      auto include = config.protos->include;
      if (include.empty()) include.push_back(".");
      catalog = grpc::ProtoCatalog::load(files, include);
    } catch (const grpc::CatalogError& error) {
      throw config::ConfigError(config.file, config.protos->mark, "protos", error.what());
    }
  }
  for (const auto& route : config.routes) {
    if (const auto* from = route.http_source(); from && from->rpc) {
      const auto* target = std::get_if<config::TopicTarget>(&route.to);
      const auto* stream = target && target->stream ? &*target->stream : nullptr;
      const grpc::RpcMethod* method = check_rpc(config, catalog.get(), *from->rpc, true, stream);
      if (method && method->server_streaming) check_stream_key(config, *method, *target);
    }
    if (const auto* to = std::get_if<config::UpstreamTarget>(&route.to); to && to->rpc) {
      check_rpc(config, catalog.get(), *to->rpc, false);
    }
  }
  if (catalog) check_bindings(config, *catalog);
  return catalog;
}

// The operations of `soap:`, null when there are none; every operation a route names is
// checked against them.
std::shared_ptr<const soap::WsdlCatalog> load_wsdl(const config::Config& config) {
  std::shared_ptr<const soap::WsdlCatalog> catalog;
  if (config.soap) {
    std::vector<std::string> files;
    for (const auto& file : config.soap->files) files.push_back(file.path);
    try {
      catalog = soap::WsdlCatalog::load(files);
    } catch (const soap::WsdlError& error) {
      throw config::ConfigError(config.file, config.soap->mark, "soap", error.what());
    }
  }
  auto check = [&](const config::SoapOperationName& name) {
    auto fail = [&](const std::string& message) { throw config::ConfigError(config.file, name.mark, name.where, message); };
    if (!catalog) fail("a SOAP route needs 'soap: { files: [...] }' (the WSDL of its operation)");
    if (!catalog->find(name.service, name.operation)) fail(catalog->why_missing(name.service, name.operation));
  };
  for (const auto& route : config.routes) {
    if (const auto* from = route.http_source(); from && from->soap) check(*from->soap);
    const auto* to = std::get_if<config::UpstreamTarget>(&route.to);
    if (to && to->soap) check(*to->soap);
  }
  return catalog;
}

// SOAP listener routes share an endpoint per path, so the route parser could not compare
// them (their paths may come from the WSDL): a REST route on the same path would take
// their requests, and a second route of one operation on a path would get none.
// A REST route whose template is at least as specific as a SOAP path it overlaps takes
// some of the endpoint's requests too ("/soap/acme" of "/soap/{tenant}"); a less
// specific one ("/{anything}" of "/quotes") never gets them, so it may stay.
void check_soap_paths(const config::Config& config, const soap::WsdlCatalog& catalog,
                      const grpc::ProtoCatalog* protos) {
  struct SoapPath {
    const std::string* listener;
    routing::PathTemplate path;
    const config::Route* route;
  };
  std::vector<SoapPath> endpoints;                                        // the first route of each
  std::unordered_map<std::string, const config::Route*> soap_paths;     // listener + path -> first route
  std::unordered_map<std::string, const config::Route*> soap_operations;  // listener + path + operation
  for (const auto& route : config.routes) {
    const auto* from = route.http_source();
    if (!from || !from->soap) continue;
    const std::string text = soap::listener_path(route, catalog);
    const std::string path = from->listener + " " + text;
    if (soap_paths.try_emplace(path, &route).second) {
      endpoints.push_back({&from->listener, routing::PathTemplate::parse(text), &route});
    }
    const std::string operation = path + " " + from->soap->service + "/" + from->soap->operation;
    const auto [first, added] = soap_operations.try_emplace(operation, &route);
    if (!added) {
      throw config::ConfigError(config.file, from->soap->mark, from->soap->where,
                                "route '" + first->second->name + "' serves this operation on the same path already");
    }
  }
  // A REST path (a route's, or a google.api.http binding's) that would take an endpoint's requests.
  auto check = [&](const std::string& listener, const routing::PathTemplate& rest, const config::Mark& mark,
                   const std::string& where, const std::string& what) {
    auto clash = soap_paths.find(listener + " " + rest.text());
    if (clash != soap_paths.end()) {
      throw config::ConfigError(config.file, mark, where,
                                what + " is the SOAP endpoint of route '" + clash->second->name + "'");
    }
    for (const auto& endpoint : endpoints) {
      if (*endpoint.listener != listener || !rest.overlaps(endpoint.path) ||
          rest.compare_specificity(endpoint.path) > 0) {
        continue;
      }
      throw config::ConfigError(config.file, mark, where,
                                what + " takes requests of " + endpoint.path.text() +
                                    ", the SOAP endpoint of route '" + endpoint.route->name + "'");
    }
  };
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    const auto& route = config.routes[i];
    const auto* from = route.http_source();
    if (!from || from->soap) continue;
    if (!from->annotated) {
      check(from->listener, from->path, route.mark, "routes[" + std::to_string(i) + "].from.path",
            "path " + from->path.text());
      continue;
    }
    if (!protos) continue;
    std::vector<std::string> skipped;  // check_bindings() logged them
    const auto& rpc = *std::get<config::UpstreamTarget>(route.to).rpc;
    for (const auto& binding : grpc::rest_bindings(*protos, route, skipped)) {
      check(from->listener, binding.path, rpc.mark, rpc.where,
            "binding " + binding.http_method + " " + binding.path.text() + " of " + binding.rpc->service + "/" +
                binding.rpc->name);
    }
  }
}

}  // namespace

CheckedConfig load_checked_config(const std::string& file) {
  auto config = config::load_config(file);
  for (const auto& broker : config.brokers) {
    const auto* kind = config::find_broker_kind(broker.type);
    if (!kind || !kind->host_check) continue;
    if (auto problem = kind->host_check(broker)) {
      throw config::ConfigError(config.file, broker.mark, "brokers." + broker.name, *problem);
    }
  }
  for (const auto& listener : config.listeners) {
    if (listener.tls) listener_tls(config, listener);
  }
  for (const auto& upstream : config.upstreams) {
    if (upstream.tls) upstream_tls(config, upstream);
  }
  // The config reader checked the whsec_ prefix; the key after it must be base64.
  for (const auto& route : config.routes) {
    if (!route.callback) continue;
    for (const auto& secret : route.callback->secrets) {
      if (webhooks::secret_key(secret.value)) continue;
      throw config::ConfigError(config.file, secret.mark, secret.where,
                                "expected whsec_ followed by the base64 of the key (padded to a multiple of 4)");
    }
  }
  auto catalog = load_catalog(config);
  auto wsdl = load_wsdl(config);
  if (wsdl) check_soap_paths(config, *wsdl, catalog.get());
  return CheckedConfig{std::make_shared<const config::Config>(std::move(config)), std::move(catalog), std::move(wsdl)};
}

}  // namespace causeway::server
