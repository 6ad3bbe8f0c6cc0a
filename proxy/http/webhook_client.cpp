#include "http/webhook_client.h"

#include <boost/asio/ssl/context.hpp>

#include "http/tls_context.h"
#include "http/upstream_client.h"
#include "http/upstream_service.h"

namespace causeway::http {

namespace {

// Every callback client counts under one name: receivers' hosts are the clients' choice,
// not a bounded label set.
constexpr std::string_view kUpstreamLabel = "(callbacks)";

bridge::WebhookResult::Failure failure_of(UpstreamResult::Error error) {
  switch (error) {
    case UpstreamResult::Error::none: return bridge::WebhookResult::Failure::none;
    case UpstreamResult::Error::connect_failed: return bridge::WebhookResult::Failure::connect;
    case UpstreamResult::Error::timeout: return bridge::WebhookResult::Failure::timeout;
    default: return bridge::WebhookResult::Failure::other;
  }
}

}  // namespace

WebhookClient::WebhookClient(IoThreads& threads, metrics::Registry& registry, std::size_t max_origins)
    : threads_(threads), registry_(registry), max_origins_(max_origins) {}

WebhookClient::~WebhookClient() = default;

std::shared_ptr<UpstreamClient> WebhookClient::client_for(const bridge::WebhookPost& post) {
  const auto& url = post.url;
  const std::string origin = url.scheme + "://" + (url.ipv6 ? "[" + url.host + "]" : url.host) + ":" +
                             std::to_string(url.port) + " " + std::to_string(post.timeout.count());
  std::lock_guard lock(mutex_);
  if (auto found = clients_.find(origin); found != clients_.end()) {
    recent_.splice(recent_.begin(), recent_, found->second.recent);
    return found->second.client;
  }
  config::Upstream upstream;
  upstream.name = std::string(kUpstreamLabel);
  upstream.scheme = url.scheme;
  upstream.host = url.host;
  upstream.port = url.port;
  upstream.timeout = post.timeout;
  upstream.connect_timeout = std::min<config::Duration>(post.timeout, std::chrono::seconds(5));
  upstream.max_connections = 8;
  upstream.max_response_bytes = 1024 * 1024;
  upstream.idle_timeout = std::chrono::seconds(30);
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (url.scheme == "https") {
    config::UpstreamTls settings;
    settings.server_name = url.host;
    upstream.tls = settings;
    if (!tls_) tls_ = client_tls(settings).context;
    tls = tls_;
  }
  auto client = std::make_shared<UpstreamClient>(upstream, threads_, registry_, std::move(tls));
  recent_.push_front(origin);
  clients_[origin] = Entry{client, recent_.begin()};
  while (clients_.size() > max_origins_) {
    // Posts in flight hold their client: it closes once they are done.
    clients_.erase(recent_.back());
    recent_.pop_back();
  }
  return client;
}

void WebhookClient::post(bridge::WebhookPost post, std::function<void(bridge::WebhookResult)> done) {
  auto client = client_for(post);
  UpstreamRequest request{"POST", post.url.target(), std::move(post.headers), std::move(post.body), std::nullopt};
  client->send(std::move(request), [client, done = std::move(done)](UpstreamResult result) {
    const auto failure = failure_of(result.error);
    auto answer = service_result(std::move(result));
    done(bridge::WebhookResult{std::move(answer.response), failure, std::move(answer.error)});
  });
}

}  // namespace causeway::http
