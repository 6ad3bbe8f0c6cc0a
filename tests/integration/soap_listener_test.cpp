// SOAP listener routes against independent peers: zeep (python3-zeep) as the SOAP
// client of Causeway, a scripted REST service, the embedded broker and the echo
// responder behind it.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_replies.h"
#include "harness_service.h"
#include "harness_soap.h"
#include "harness_tls.h"

namespace causeway::testing {
namespace {

const std::string kQuotesWsdl = std::string(SOURCE_DIR) + "/config/examples/quotes.wsdl";
const std::string kOrdersWsdl = std::string(SOURCE_DIR) + "/tests/integration/soap/orders.wsdl";

// QuoteService.GetQuote on "public" (its soap:address path, /quotes) -> POST /v1/quotes of `url`.
std::string soap_to_rest_config(const std::string& url, const std::string& listener_limits = "{}",
                                const std::string& target_extra = "") {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "soap: { files: [" + kQuotesWsdl + "] }\n"
         "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0, limits: " + listener_limits + " }\n"
         "upstreams:\n  quotes: { url: \"" + url + "\", timeout: 10s }\n"
         "routes:\n"
         "  - name: legacy-quote\n"
         "    from: { listener: public, soap: { service: QuoteService, operation: GetQuote } }\n"
         "    to: { upstream: quotes, method: POST, path: /v1/quotes" + target_extra + " }\n";
}

const std::string kQuoteAnswer =
    R"({"symbol":"ACME","price":{"#text":12.5,"@currency":"EUR"},"history":[0.5,1.5],"note":null})";

ServiceAnswer json_answer(int status, std::string body) {
  return ServiceAnswer{.status = status, .body = std::move(body), .headers = {{"Content-Type", "application/json"}}};
}

std::string envelope11(const std::string& body) {
  return R"(<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>)" + body +
         "</s:Body></s:Envelope>";
}

const Headers kSoap11 = {{"Content-Type", "text/xml; charset=utf-8"}, {"SOAPAction", "\"urn:example:quotes/GetQuote\""}};

TEST(SoapListener, ZeepCallsARestServiceThroughTheWsdlItServes) {
  ScriptedService service([](const ServiceRequest&) { return json_answer(200, kQuoteAnswer); });
  CausewayProcess causeway(soap_to_rest_config(service.url()));

  auto answer = zeep_call(causeway.listener(), "/quotes", "QuoteService", "QuotePort", "GetQuote",
                          R"({"symbol":"ACME","days":2,"realtime":true})");
  ASSERT_TRUE(answer.as_object().contains("result")) << answer;
  const auto& result = answer.at("result");
  EXPECT_EQ(result.at("symbol"), "ACME");
  EXPECT_EQ(result.at("price").at("_value_1"), "12.5");
  EXPECT_EQ(result.at("price").at("currency"), "EUR");
  EXPECT_EQ(result.at("history"), boost::json::parse("[0.5,1.5]"));
  EXPECT_TRUE(result.at("note").is_null());

  ASSERT_EQ(service.request_count(), 1u);
  const auto sent = service.requests().at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/v1/quotes");
  EXPECT_EQ(sent.header("content-type"), "application/json");
  EXPECT_EQ(boost::json::parse(sent.body), boost::json::parse(R"({"symbol":"ACME","days":2,"realtime":true})"));
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "legacy-quote"}, {"code", "200"}}), 1);
}

TEST(SoapListener, ServedWsdlPointsAtTheListenerTheClientReached) {
  ScriptedService service;
  CausewayProcess causeway(soap_to_rest_config(service.url()));

  auto wsdl = http(causeway.listener(), "GET", "/quotes?wsdl", {{"Host", "soap.example:8443"}});
  ASSERT_EQ(wsdl.status, 200) << wsdl.body;
  EXPECT_EQ(wsdl.header("content-type"), "text/xml; charset=utf-8");
  EXPECT_NE(wsdl.body.find(R"(<soap:address location="http://soap.example:8443/quotes"/>)"), std::string::npos);
  EXPECT_NE(wsdl.body.find(R"(<soap12:address location="http://soap.example:8443/quotes"/>)"), std::string::npos);
  EXPECT_EQ(wsdl.body.find("localhost:9000"), std::string::npos) << wsdl.body;
  auto bad_host = http(causeway.listener(), "GET", "/quotes?wsdl", {{"Host", "a\"><x/>"}});
  EXPECT_EQ(bad_host.status, 400) << bad_host.body;
  EXPECT_EQ(service.request_count(), 0u);
}

// On an HTTPS listener the WSDL's addresses are https: a client that follows them stays on TLS.
TEST(SoapListener, ServedWsdlOfAnHttpsListenerPointsAtHttps) {
  TestPki pki;
  pki.make_ca("ca", "Causeway Test CA");
  pki.issue("server", "localhost", {"localhost", "127.0.0.1"});
  ScriptedService service;
  CausewayProcess causeway(
      "admin: { listen: 127.0.0.1:0 }\n"
      "soap: { files: [" + kQuotesWsdl + "] }\n"
      "listeners:\n  public:\n    protocol: http\n    listen: 127.0.0.1:0\n"
      "    tls: { cert: " + pki.path("server.pem") + ", key: " + pki.path("server.key") + " }\n"
      "upstreams:\n  quotes: { url: \"" + service.url() + "\", timeout: 10s }\n"
      "routes:\n"
      "  - name: legacy-quote\n"
      "    from: { listener: public, soap: { service: QuoteService, operation: GetQuote } }\n"
      "    to: { upstream: quotes, method: POST, path: /v1/quotes }\n");
  const std::string url = "https://localhost:" + std::to_string(causeway.listener().port) + "/quotes?wsdl";
  auto wsdl = curl({"--cacert", pki.path("ca.pem"), "--resolve",
                    "localhost:" + std::to_string(causeway.listener().port) + ":127.0.0.1", url});
  ASSERT_EQ(wsdl.status, 200) << wsdl.errors << wsdl.body;
  EXPECT_NE(wsdl.body.find("<soap:address location=\"https://localhost:" + std::to_string(causeway.listener().port) +
                           "/quotes\"/>"),
            std::string::npos)
      << wsdl.body;
}

TEST(SoapListener, Soap12CallGetsA12ResponseAndReceiverFaultsKeepTheirStatus) {
  ScriptedService service([](const ServiceRequest& request) {
    if (request.body.find("DOWN") != std::string::npos) {
      return json_answer(503, R"({"error":"unavailable","message":"quote feed down"})");
    }
    return json_answer(200, kQuoteAnswer);
  });
  CausewayProcess causeway(soap_to_rest_config(service.url()));

  auto answer = zeep_call(causeway.listener(), "/quotes", "QuoteService", "QuotePort12", "GetQuote", R"({"symbol":"ACME"})");
  ASSERT_TRUE(answer.as_object().contains("result")) << answer;
  EXPECT_EQ(answer.at("result").at("symbol"), "ACME");

  // Raw: the action rides in the content type; no SOAPAction header.
  const std::string envelope =
      R"(<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>DOWN</q:symbol></q:GetQuote></e:Body></e:Envelope>)";
  auto fault = http(causeway.listener(), "POST", "/quotes",
                    {{"Content-Type", "application/soap+xml; charset=utf-8; action=\"urn:example:quotes/GetQuote\""}},
                    envelope);
  EXPECT_EQ(fault.status, 503) << fault.body;
  EXPECT_EQ(fault.header("content-type"), "application/soap+xml; charset=utf-8");
  EXPECT_NE(fault.body.find("<soap:Value>soap:Receiver</soap:Value>"), std::string::npos) << fault.body;
  EXPECT_NE(fault.body.find("quote feed down"), std::string::npos) << fault.body;
}

TEST(SoapListener, UpstreamErrorIsAServerFaultAndAWrongTypeAClientFault) {
  ScriptedService service([](const ServiceRequest&) {
    return json_answer(500, R"({"error":"internal","message":"database is gone"})");
  });
  CausewayProcess causeway(soap_to_rest_config(service.url()));

  auto server = zeep_call(causeway.listener(), "/quotes", "QuoteService", "QuotePort", "GetQuote", R"({"symbol":"ACME"})");
  EXPECT_EQ(server.at("fault"), "database is gone") << server;
  EXPECT_EQ(server.at("code"), "soap:Server") << server;
  ASSERT_EQ(service.request_count(), 1u);

  auto wrong = http(causeway.listener(), "POST", "/quotes", kSoap11,
                    envelope11(R"(<q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>ACME</q:symbol><q:days>many</q:days></q:GetQuote>)"));
  EXPECT_EQ(wrong.status, 500) << wrong.body;
  EXPECT_NE(wrong.body.find("<faultcode>soap:Client</faultcode>"), std::string::npos) << wrong.body;
  EXPECT_NE(wrong.body.find("GetQuote.days"), std::string::npos) << wrong.body;
  EXPECT_EQ(service.request_count(), 1u);  // nothing more forwarded
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_soap_faults_total", {{"route", "legacy-quote"}, {"direction", "listener"}}), 2);
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_soap_errors_total", {{"route", "legacy-quote"}, {"direction", "request"}}), 1);
}

// The route's timeout, shorter than the upstream's, bounds the REST call: the SOAP
// caller gets the 504 the REST path answers, as a Server/Receiver fault.
TEST(SoapListener, RouteTimeoutIsAServerFaultWithTheTimeoutStatus) {
  ScriptedService service([](const ServiceRequest&) {
    auto answer = json_answer(200, kQuoteAnswer);
    answer.delay = 5s;
    return answer;
  });
  CausewayProcess causeway(soap_to_rest_config(service.url(), "{}", ", timeout: 300ms"));

  const auto started = Clock::now();
  auto soap11 = http(causeway.listener(), "POST", "/quotes", kSoap11,
                     envelope11(R"(<q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>ACME</q:symbol></q:GetQuote>)"));
  EXPECT_LT(Clock::now() - started, 3s) << "the upstream's own timeout is 10s";
  EXPECT_EQ(soap11.status, 500) << soap11.body;
  EXPECT_EQ(soap11.header("content-type"), "text/xml; charset=utf-8");
  EXPECT_NE(soap11.body.find("<faultcode>soap:Server</faultcode>"), std::string::npos) << soap11.body;
  EXPECT_NE(soap11.body.find("within 300ms"), std::string::npos) << soap11.body;

  const std::string envelope =
      R"(<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>ACME</q:symbol></q:GetQuote></e:Body></e:Envelope>)";
  auto soap12 = http(causeway.listener(), "POST", "/quotes",
                     {{"Content-Type", "application/soap+xml; charset=utf-8; action=\"urn:example:quotes/GetQuote\""}},
                     envelope);
  EXPECT_EQ(soap12.status, 504) << soap12.body;
  EXPECT_NE(soap12.body.find("<soap:Value>soap:Receiver</soap:Value>"), std::string::npos) << soap12.body;
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "legacy-quote"}, {"code", "504"}}), 2);
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_soap_faults_total", {{"route", "legacy-quote"}, {"direction", "listener"}}), 2);
}

TEST(SoapListener, HostileEnvelopesAreFaultsAndNothingIsForwarded) {
  ScriptedService service([](const ServiceRequest&) { return json_answer(200, kQuoteAnswer); });
  CausewayProcess causeway(soap_to_rest_config(service.url(), "{ max_body: 4KiB }"));

  const std::string laughs = R"(<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>&c;</q:symbol></q:GetQuote></s:Body></s:Envelope>)";
  const std::string xxe = R"(<?xml version="1.0"?><!DOCTYPE s [<!ENTITY p SYSTEM "file:///etc/passwd">]>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>&p;</q:symbol></q:GetQuote></s:Body></s:Envelope>)";
  std::string nested = R"(<q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>)";
  for (int i = 0; i < 100; ++i) nested += "<a>";
  for (int i = 0; i < 100; ++i) nested += "</a>";
  nested += "</q:symbol></q:GetQuote>";
  for (const auto& [body, why] : std::vector<std::pair<std::string, std::string>>{
           {laughs, "DOCTYPE is not allowed"}, {xxe, "DOCTYPE is not allowed"}, {envelope11(nested), "nested deeper than 64"}}) {
    auto response = http(causeway.listener(), "POST", "/quotes", kSoap11, body);
    EXPECT_EQ(response.status, 500) << response.body;
    EXPECT_NE(response.body.find("<faultcode>soap:Client</faultcode>"), std::string::npos) << response.body;
    EXPECT_NE(response.body.find(why), std::string::npos) << response.body;
    EXPECT_EQ(response.body.find("root:"), std::string::npos) << response.body;
  }
  // Over max_body: refused before it is read, as a fault.
  auto large = http(causeway.listener(), "POST", "/quotes", kSoap11,
                    envelope11(R"(<q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>)" + std::string(8000, 'A') +
                               "</q:symbol></q:GetQuote>"));
  EXPECT_EQ(large.status, 500) << large.body;
  EXPECT_NE(large.body.find("<faultcode>soap:Client</faultcode>"), std::string::npos) << large.body;
  EXPECT_NE(large.body.find("request body is too large"), std::string::npos) << large.body;
  EXPECT_EQ(service.request_count(), 0u);
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_soap_faults_total", {{"route", "legacy-quote"}, {"direction", "listener"}}), 4);
}

TEST(SoapListener, Soap12RefusalsKeepTheirStatusAsSenderFaults) {
  ScriptedService service([](const ServiceRequest&) { return json_answer(200, kQuoteAnswer); });
  std::string yaml = soap_to_rest_config(service.url(), "{ max_body: 1KiB }");
  yaml += "    limits: { rate: 0.001, burst: 1 }\n";
  CausewayProcess causeway(yaml);
  const Headers soap12 = {{"Content-Type", "application/soap+xml; charset=utf-8"}};
  auto envelope = [](const std::string& symbol) {
    return R"(<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>)" +
           symbol + "</q:symbol></q:GetQuote></e:Body></e:Envelope>";
  };

  auto large = http(causeway.listener(), "POST", "/quotes", soap12, envelope(std::string(2000, 'A')));
  EXPECT_EQ(large.status, 413) << large.body;
  EXPECT_NE(large.body.find("<soap:Value>soap:Sender</soap:Value>"), std::string::npos) << large.body;
  auto first = http(causeway.listener(), "POST", "/quotes", soap12, envelope("ACME"));
  EXPECT_EQ(first.status, 200) << first.body;
  auto limited = http(causeway.listener(), "POST", "/quotes", soap12, envelope("ACME"));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_NE(limited.body.find("<soap:Value>soap:Sender</soap:Value>"), std::string::npos) << limited.body;
  EXPECT_TRUE(limited.header("retry-after")) << limited.body;
  EXPECT_EQ(service.request_count(), 1u);
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "legacy-quote"}, {"code", "429"}}), 1);
}

// OrderService's operations on one path: PlaceOrder -> an event, EchoOrder -> request-reply,
// NoteOrder (one-way) -> an event.
std::string orders_config(const std::string& bootstrap = "embedded") {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "soap: { files: [" + kOrdersWsdl + "] }\n"
         "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
         "brokers:\n  events: { bootstrap: " + bootstrap + ", options: { linger.ms: 1 } }\n"
         "routes:\n"
         "  - name: place-order\n"
         "    from: { listener: public, soap: { service: OrderService, operation: PlaceOrder } }\n"
         "    to: { broker: events, topic: orders.placed }\n"
         "  - name: echo-order\n"
         "    from: { listener: public, soap: { service: OrderService, operation: EchoOrder } }\n"
         "    to: { broker: events, topic: orders.echo, reply: orders.echoed, timeout: 10s }\n"
         "  - name: note-order\n"
         "    from: { listener: public, soap: { service: OrderService, operation: NoteOrder } }\n"
         "    to: { broker: events, topic: orders.notes }\n";
}

TEST(SoapListener, PlaceOrderPublishesAnEventAndAnswersWithItsOffset) {
  CausewayProcess causeway(orders_config());

  auto answer = zeep_call(causeway.listener(), "/orders", "OrderService", "OrderPort", "PlaceOrder",
                          R"({"item":"lamp","quantity":3})");
  ASSERT_TRUE(answer.as_object().contains("result")) << answer;
  TopicReader reader(causeway.broker(), "orders.placed");
  auto messages = reader.read(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(boost::json::parse(messages[0].value), boost::json::parse(R"({"item":"lamp","quantity":3})"));
  EXPECT_EQ(answer.at("result").at("offset"), messages[0].offset) << answer;
  EXPECT_FALSE(answer.at("result").at("id").as_string().empty()) << answer;
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "place-order"}, {"code", "202"}}), 1);
}

TEST(SoapListener, EchoOrderGetsTheReplyAsItsOutputOnTheSamePath) {
  CausewayProcess causeway(orders_config());
  EchoResponder responder(causeway.broker(), "orders.echo");

  auto answer = zeep_call(causeway.listener(), "/orders", "OrderService", "OrderPort", "EchoOrder",
                          R"({"item":"desk","quantity":1})");
  ASSERT_TRUE(answer.as_object().contains("result")) << answer;
  EXPECT_EQ(answer.at("result"), boost::json::parse(R"({"item":"desk","quantity":1})"));

  // Without an action the body's element picks the operation.
  auto raw = http(causeway.listener(), "POST", "/orders", {{"Content-Type", "text/xml"}},
                  envelope11(R"(<o:EchoOrder xmlns:o="urn:example:orders"><o:item>chair</o:item><o:quantity>2</o:quantity></o:EchoOrder>)"));
  EXPECT_EQ(raw.status, 200) << raw.body;
  EXPECT_NE(raw.body.find(R"(<EchoOrderResponse xmlns="urn:example:orders"><item>chair</item><quantity>2</quantity></EchoOrderResponse>)"),
            std::string::npos)
      << raw.body;
  auto unknown = http(causeway.listener(), "POST", "/orders", {{"Content-Type", "text/xml"}},
                      envelope11(R"(<o:CancelOrder xmlns:o="urn:example:orders"/>)"));
  EXPECT_EQ(unknown.status, 500) << unknown.body;
  EXPECT_NE(unknown.body.find("no operation here takes {urn:example:orders}CancelOrder"), std::string::npos) << unknown.body;
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "echo-order"}, {"code", "200"}}), 2);
}

// A one-way operation has no output to fill: once the broker has the message, the caller gets 202 and no body.
TEST(SoapListener, OneWayOperationToATopicIsAnswered202WithNoBody) {
  CausewayProcess causeway(orders_config());

  auto answer = zeep_call(causeway.listener(), "/orders", "OrderService", "OrderPort", "NoteOrder",
                          R"({"item":"lamp","note":["fragile","gift"]})");
  ASSERT_TRUE(answer.as_object().contains("result")) << answer;
  EXPECT_TRUE(answer.at("result").is_null()) << answer;
  auto raw = http(causeway.listener(), "POST", "/orders",
                  {{"Content-Type", "text/xml"}, {"SOAPAction", "\"urn:example:orders/NoteOrder\""}},
                  envelope11(R"(<o:NoteOrder xmlns:o="urn:example:orders"><o:item>desk</o:item><o:note>late</o:note></o:NoteOrder>)"));
  EXPECT_EQ(raw.status, 202) << raw.body;
  EXPECT_EQ(raw.body, "");

  auto messages = TopicReader(causeway.broker(), "orders.notes").read(2);
  std::set<std::string> values;
  for (const auto& message : messages) values.insert(boost::json::serialize(boost::json::parse(message.value)));
  EXPECT_EQ(values, (std::set<std::string>{R"({"item":"lamp","note":["fragile","gift"]})", R"({"item":"desk","note":["late"]})"}));
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "note-order"}, {"code", "202"}}), 2);
}

// To a REST service, a one-way operation is answered 202 whatever 2xx the service gave; its errors are still faults.
TEST(SoapListener, OneWayOperationToARestServiceIsAnswered202OrAFault) {
  ScriptedService service([](const ServiceRequest& request) {
    if (request.body.find("broken") != std::string::npos) return json_answer(503, R"({"message":"notes are read-only"})");
    return json_answer(200, R"({"stored":true})");
  });
  CausewayProcess causeway("admin: { listen: 127.0.0.1:0 }\n"
                           "soap: { files: [" + kOrdersWsdl + "] }\n"
                           "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
                           "upstreams:\n  notes: { url: \"" + service.url() + "\", timeout: 10s }\n"
                           "routes:\n"
                           "  - name: note-order\n"
                           "    from: { listener: public, soap: { service: OrderService, operation: NoteOrder } }\n"
                           "    to: { upstream: notes, path: /v1/notes }\n");

  auto answer = zeep_call(causeway.listener(), "/orders", "OrderService", "OrderPort", "NoteOrder",
                          R"({"item":"lamp","note":["fragile"]})");
  ASSERT_TRUE(answer.as_object().contains("result")) << answer;
  EXPECT_TRUE(answer.at("result").is_null()) << answer;
  ASSERT_EQ(service.request_count(), 1u);
  EXPECT_EQ(service.requests().at(0).target, "/v1/notes");
  EXPECT_EQ(boost::json::parse(service.requests().at(0).body), boost::json::parse(R"({"item":"lamp","note":["fragile"]})"));

  auto fault = http(causeway.listener(), "POST", "/orders",
                    {{"Content-Type", "text/xml"}, {"SOAPAction", "\"urn:example:orders/NoteOrder\""}},
                    envelope11(R"(<o:NoteOrder xmlns:o="urn:example:orders"><o:item>broken</o:item><o:note>x</o:note></o:NoteOrder>)"));
  EXPECT_EQ(fault.status, 500) << fault.body;
  EXPECT_NE(fault.body.find("<faultcode>soap:Server</faultcode>"), std::string::npos) << fault.body;
  EXPECT_NE(fault.body.find("notes are read-only"), std::string::npos) << fault.body;
  // Counted with the status the flow answered, as every SOAP listener route is.
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "note-order"}, {"code", "200"}}), 1);
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "note-order"}, {"code", "503"}}), 1);
}

TEST(SoapListener, ValidateRefusesARestRouteOnASoapPathAndAnOperationServedTwice) {
  TempDir dir;
  const std::string head = soap_to_rest_config("http://127.0.0.1:1");
  const auto rest = dir.write("rest.yaml", head + "  - name: rest-quote\n    from: { listener: public, method: POST, path: /quotes }\n"
                                                  "    to: { upstream: quotes }\n").string();
  auto clash = run_command({CAUSEWAY_BIN, "validate", rest});
  EXPECT_EQ(clash.exit_code, 1) << clash.output;
  EXPECT_NE(clash.output.find(rest + ":11:5: routes[1].from.path: path /quotes is the SOAP endpoint of route 'legacy-quote'"),
            std::string::npos)
      << clash.output;
  // Only overlapping: a REST template that would take some of the endpoint's requests is refused, one that never does is not.
  const std::string tenants = "admin: { listen: 127.0.0.1:0 }\n"
                              "soap: { files: [" + kQuotesWsdl + "] }\n"
                              "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
                              "upstreams:\n  quotes: { url: \"http://127.0.0.1:1\" }\n"
                              "routes:\n"
                              "  - name: tenant-quote\n"
                              "    from: { listener: public, path: \"/soap/{tenant}\", soap: { service: QuoteService, operation: GetQuote } }\n"
                              "    to: { upstream: quotes }\n";
  const auto steals = dir.write("steals.yaml", tenants + "  - name: acme\n    from: { listener: public, method: POST, path: /soap/acme }\n"
                                                        "    to: { upstream: quotes }\n").string();
  auto overlap = run_command({CAUSEWAY_BIN, "validate", steals});
  EXPECT_EQ(overlap.exit_code, 1) << overlap.output;
  EXPECT_NE(overlap.output.find(steals + ":11:5: routes[1].from.path: path /soap/acme takes requests of /soap/{tenant}, "
                                         "the SOAP endpoint of route 'tenant-quote'"),
            std::string::npos)
      << overlap.output;
  const auto below = dir.write("below.yaml", tenants + "  - name: the-rest\n    from: { listener: public, path: \"/{any=**}\" }\n"
                                                      "    to: { upstream: quotes }\n").string();
  auto catch_all = run_command({CAUSEWAY_BIN, "validate", below});
  EXPECT_EQ(catch_all.exit_code, 0) << "a catch-all never takes the endpoint's requests:\n" << catch_all.output;

  const auto twice = dir.write("twice.yaml", head + "  - name: again\n    from: { listener: public, soap: { service: QuoteService, operation: GetQuote } }\n"
                                                    "    to: { upstream: quotes }\n").string();
  auto served = run_command({CAUSEWAY_BIN, "validate", twice});
  EXPECT_EQ(served.exit_code, 1) << served.output;
  EXPECT_NE(served.output.find("routes[1].from.soap: route 'legacy-quote' serves this operation on the same path already"),
            std::string::npos)
      << served.output;
}

}  // namespace
}  // namespace causeway::testing
