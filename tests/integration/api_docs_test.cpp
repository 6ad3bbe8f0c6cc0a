// GET /openapi.json and /asyncapi.json, generated from the running config, checked by
// independent validators from npm (tests/package.json, installed by scripts/test) run with node.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>

#include "harness.h"

namespace causeway::testing {
namespace {

namespace json = boost::json;

const std::filesystem::path kTools = std::filesystem::path(SOURCE_DIR) / "tests";

// Routes of every mode a document describes, a templated topic and a dead-letter topic.
TestConfig routes_of_every_kind() {
  TestConfig config;
  config.extra_routes = R"(  - name: quote
    from: { listener: public, method: POST, path: "/quotes/{region}" }
    to: { broker: events, topic: "quotes.{region}", reply: quotes.replies, timeout: 5s }
  - name: version
    from: { listener: public, method: GET, path: /version }
    to: { status: 200, body: '{"v":1}', content_type: application/json }
  - name: files
    from: { listener: public, path: "/files/{name=**}" }
    to: { upstream: store }
  - name: billing
    from: { broker: events, topic: orders.created, group: billing }
    to: { upstream: store, path: /orders }
    dead_letter: orders.dead
  - name: legacy-quote
    from: { listener: public, soap: { service: QuoteService, operation: GetQuote } }
    to: { upstream: store, method: POST, path: /v1/quotes }
upstreams:
  store: { url: "http://127.0.0.1:9" }
soap: { files: [)" + std::string(SOURCE_DIR) + R"(/config/examples/quotes.wsdl] }
)";
  return config;
}

// node's exit code for the validator on `document`, its output appended to `output`.
int validate(const std::string& kind, const std::string& document, const TempDir& dir, std::string& output) {
  const auto file = dir.write(kind + ".json", document);
  const std::string command = "node " + (kTools / "tools" / "validate_api.mjs").string() + " " + kind + " " +
                              file.string() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool validators_installed() {
  return std::system("command -v node >/dev/null") == 0 &&
         std::filesystem::exists(kTools / "node_modules" / "@apidevtools" / "swagger-parser") &&
         std::filesystem::exists(kTools / "node_modules" / "@asyncapi" / "parser");
}

TEST(ApiDocs, OpenApiDescribesTheHttpRoutesAndValidates) {
  CausewayProcess causeway(routes_of_every_kind());
  auto response = http(causeway.admin(), "GET", "/openapi.json");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "application/json");
  auto doc = response.json();
  EXPECT_EQ(doc.at("openapi"), json::value("3.1.0"));
  const auto& paths = doc.at("paths");
  const auto& event = paths.at("/orders/{customer}/events").at("post");
  EXPECT_EQ(event.at("operationId"), json::value("order-created"));
  EXPECT_EQ(event.at("parameters").at(0).at("name"), json::value("customer"));
  EXPECT_TRUE(event.at("responses").as_object().contains("202"));
  EXPECT_EQ(event.at("responses").at("503").at("content").at("application/json").at("schema").at("$ref"),
            json::value("#/components/schemas/Error"));
  EXPECT_TRUE(paths.at("/quotes/{region}").at("post").at("responses").as_object().contains("504"));
  EXPECT_TRUE(paths.at("/version").at("get").at("responses").as_object().contains("200"));
  EXPECT_TRUE(paths.at("/files/{name}").as_object().contains("delete"));  // no method: every one
  EXPECT_TRUE(paths.at("/files/{name}").at("get").at("responses").as_object().contains("502"));
  EXPECT_EQ(doc.at("components").at("schemas").at("Error").at("required"), json::parse(R"(["error","message"])"));
  // A SOAP endpoint is a POST of envelopes on its WSDL port's path, pointing at its WSDL.
  const auto& soap = paths.at("/quotes").at("post");
  EXPECT_EQ(soap.at("operationId"), json::value("legacy-quote"));
  EXPECT_TRUE(soap.at("requestBody").at("content").as_object().contains("application/soap+xml"));
  EXPECT_NE(std::string(soap.at("description").as_string()).find("/quotes?wsdl"), std::string::npos);
  EXPECT_FALSE(paths.as_object().contains("/")) << paths;

  if (!validators_installed()) GTEST_SKIP() << "node validators not installed (scripts/test runs npm ci in tests/)";
  TempDir dir;
  std::string output;
  EXPECT_EQ(validate("openapi", response.body, dir, output), 0) << output << response.body;
}

TEST(ApiDocs, AsyncApiDescribesTopicsRepliesAndWireHeadersAndValidates) {
  CausewayProcess causeway(routes_of_every_kind());
  auto response = http(causeway.admin(), "GET", "/asyncapi.json");
  ASSERT_EQ(response.status, 200);
  auto doc = response.json();
  EXPECT_EQ(doc.at("asyncapi"), json::value("3.0.0"));
  EXPECT_EQ(doc.at("servers").at("events").at("host"), json::value(causeway.broker()));
  const auto& channels = doc.at("channels");
  EXPECT_EQ(channels.at("events.quotes._region_").at("address"), json::value("quotes.{region}"));
  EXPECT_TRUE(channels.at("events.quotes._region_").at("parameters").as_object().contains("region"));
  const auto& quote_headers = channels.at("events.quotes._region_").at("messages").at("quote").at("headers");
  EXPECT_TRUE(quote_headers.at("properties").as_object().contains("reply-to"));
  EXPECT_TRUE(quote_headers.at("properties").as_object().contains("correlation-id"));
  EXPECT_EQ(channels.at("events.orders.created").at("messages").at("order-created").at("headers").at("properties")
                .as_object()
                .contains("x-tenant"),
            true);
  const auto& operations = doc.at("operations");
  EXPECT_EQ(operations.at("quote").at("action"), json::value("send"));
  EXPECT_EQ(operations.at("quote").at("reply").at("channel").at("$ref"), json::value("#/channels/events.quotes.replies"));
  EXPECT_EQ(operations.at("billing").at("action"), json::value("receive"));
  EXPECT_EQ(channels.at("events.orders.dead").at("address"), json::value("orders.dead"));

  if (!validators_installed()) GTEST_SKIP() << "node validators not installed (scripts/test runs npm ci in tests/)";
  TempDir dir;
  std::string output;
  EXPECT_EQ(validate("asyncapi", response.body, dir, output), 0) << output << response.body;
}

}  // namespace
}  // namespace causeway::testing
