// Reply callbacks over RabbitMQ: the same flow as on Kafka (callback_test.cpp), with a
// real rabbitmq-server, pika answering the requests, and the dead letter confirmed on an
// exchange.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"
#include "harness_rabbitmq.h"
#include "harness_replies.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

using rabbit::rabbit_server;

std::string pika(const std::string& script) {
  auto result = rabbit_server().pika(script);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  auto end = result.output.find_last_not_of('\n');
  auto start = result.output.rfind('\n', end);
  return result.output.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

// pika answering every request on `queue` with its body, status 201.
std::unique_ptr<Subprocess> echo(const std::string& queue) {
  const std::string script =
      "import pika\n"
      "conn = pika.BlockingConnection(pika.URLParameters('" + rabbit_server().url() + "'))\n"
      "ch = conn.channel()\n"
      "ch.queue_declare('" + queue + "', durable=True)\n"
      "def on(ch, m, p, body):\n"
      "  ch.basic_publish('', p.reply_to, body, pika.BasicProperties(correlation_id=p.correlation_id,\n"
      "                   content_type='text/plain', headers={'status': '201'}))\n"
      "  ch.basic_ack(m.delivery_tag)\n"
      "ch.basic_consume('" + queue + "', on)\n"
      "print('consuming', flush=True)\n"
      "ch.start_consuming()\n";
  auto process = std::make_unique<Subprocess>(std::vector<std::string>{"/usr/bin/python3", "-u", "-c", script});
  EXPECT_TRUE(process->wait_for_line(std::regex("consuming"), 20s)) << process->output();
  return process;
}

TEST(RabbitCallback, TheReplyIsPostedAndARefusedOneIsDeadLetteredOnTheExchange) {
  pika("ch.exchange_declare('cb-dlx', 'topic', durable=True)\n"
       "ch.queue_declare('cb-dlx.all', durable=True)\n"
       "ch.queue_bind('cb-dlx.all', 'cb-dlx', '#')\nprint('ok')");
  ScriptedService receiver([](const ServiceRequest& request) {
    return ServiceAnswer{.status = request.body == "refuse me" ? 400 : 200};
  });
  auto service = echo("quotes-cb");
  CausewayProcess causeway(
      "admin: { listen: 127.0.0.1:0 }\n"
      "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
      "brokers:\n  rabbit:\n    type: rabbitmq\n    url: " + rabbit_server().url() + "\n"
      "routes:\n"
      "  - name: quote\n"
      "    from: { listener: public, method: POST, path: /quotes }\n"
      "    to: { broker: rabbit, exchange: \"\", routing_key: quotes-cb, reply: direct, timeout: 10s }\n"
      "    callback:\n"
      "      allow: [\"" + receiver.url() + "/hooks/*\"]\n"
      "      secret: whsec_Y2FsbGJhY2sgdGVzdCBrZXk=\n"
      "      dead_letter: { exchange: cb-dlx }\n");

  auto accepted = post_quote(causeway.listener(), "hello", {{"Callback-Url", receiver.url() + "/hooks/a"}});
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id(accepted.json().at("id").as_string());
  ASSERT_TRUE(receiver.wait_requests(1, 15s)) << causeway.log();
  auto hook = receiver.requests().at(0);
  EXPECT_EQ(hook.body, "hello");
  EXPECT_EQ(hook.header("reply-status"), "201");
  EXPECT_EQ(hook.header("content-type"), "text/plain");
  EXPECT_EQ(hook.header("webhook-id"), id);
  EXPECT_TRUE(hook.header("webhook-signature").value_or("").starts_with("v1,"));

  auto refused = post_quote(causeway.listener(), "refuse me", {{"Callback-Url", receiver.url() + "/hooks/b"}});
  ASSERT_EQ(refused.status, 202) << refused.body;
  const std::string refused_id(refused.json().at("id").as_string());
  auto dead = pika(
      "for _ in range(100):\n"
      "  m, p, b = ch.basic_get('cb-dlx.all', auto_ack=True)\n"
      "  if m: break\n"
      "  time.sleep(0.1)\n"
      "print(json.dumps({'body': b.decode(), 'url': p.headers.get('callback-url'), 'key': m.routing_key,\n"
      "                  'status': p.headers.get('reply-status'), 'error': p.headers.get('dlt-error')}))");
  auto letter = boost::json::parse(dead).as_object();
  EXPECT_EQ(letter.at("body"), "refuse me");
  EXPECT_EQ(letter.at("url").as_string(), receiver.url() + "/hooks/b");
  EXPECT_EQ(letter.at("key").as_string(), refused_id);
  EXPECT_EQ(letter.at("status"), "201");
  EXPECT_EQ(letter.at("error"), "400 from the receiver");
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_total", 1, {{"route", "quote"}, {"result", "delivered"}}), 1);
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_total", 1, {{"route", "quote"}, {"result", "dead_letter"}}), 1);
}

}  // namespace
}  // namespace causeway::testing
