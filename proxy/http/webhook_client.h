#pragma once
// bridge::WebhookCaller over the project's HTTP client: a small keep-alive pool per
// receiver origin (scheme, host, port, timeout), made on first use, the least recently
// used dropped beyond a bound. No redirect is ever followed (UpstreamClient follows
// none); https receivers are verified against the system's trust store.

#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bridge/webhook_caller.h"

namespace causeway::metrics {
class Registry;
}
namespace boost::asio::ssl {
class context;
}

namespace causeway::http {

class IoThreads;
class UpstreamClient;

class WebhookClient : public bridge::WebhookCaller {
 public:
  WebhookClient(IoThreads& threads, metrics::Registry& registry, std::size_t max_origins = 256);
  ~WebhookClient() override;
  void post(bridge::WebhookPost post, std::function<void(bridge::WebhookResult)> done) override;

 private:
  std::shared_ptr<UpstreamClient> client_for(const bridge::WebhookPost& post);

  IoThreads& threads_;
  metrics::Registry& registry_;
  const std::size_t max_origins_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // made with the first https receiver
  std::mutex mutex_;
  std::list<std::string> recent_;  // origins, most recently used first
  struct Entry {
    std::shared_ptr<UpstreamClient> client;
    std::list<std::string>::iterator recent;
  };
  std::map<std::string, Entry> clients_;
};

}  // namespace causeway::http
