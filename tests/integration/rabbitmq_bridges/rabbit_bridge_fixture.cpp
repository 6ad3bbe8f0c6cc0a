#include "rabbit_bridge_fixture.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <regex>

#include "harness_rabbitmq.h"

namespace causeway::testing {

using rabbit::rabbit_server;

std::string rabbit_config(const std::string& routes, const std::string& more_brokers, const std::string& upstreams) {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
         "brokers:\n  rabbit:\n    type: rabbitmq\n    url: " +
         rabbit_server().url() + "\n    options: { prefetch: 16 }\n" + more_brokers + upstreams + "routes:\n" + routes;
}

std::string pika(const std::string& script) {
  auto result = rabbit_server().pika(script);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  auto end = result.output.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  auto start = result.output.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return result.output.substr(start, end - start + 1);
}

void bound_queue(const std::string& exchange, const std::string& queue, const std::string& key) {
  pika("ch.exchange_declare('" + exchange + "', 'topic', durable=True)\n"
       "ch.queue_declare('" + queue + "', durable=True)\n"
       "ch.queue_bind('" + queue + "', '" + exchange + "', '" + key + "')\nprint('ok')");
}

boost::json::object first_message(const std::string& queue, std::initializer_list<std::string> headers) {
  std::string fields = "'body': b.decode(), 'key': m.routing_key";
  for (const auto& name : headers) fields += ", '" + name + "': (p.headers or {}).get('" + name + "')";
  return boost::json::parse(pika("for _ in range(100):\n"
                                 "  m, p, b = ch.basic_get('" + queue + "', auto_ack=True)\n"
                                 "  if m: break\n"
                                 "  time.sleep(0.1)\n"
                                 "print(json.dumps({" + fields + "}))"))
      .as_object();
}

int queue_depth(const std::string& queue) {
  return std::stoi(pika("q = ch.queue_declare('" + queue + "', passive=True)\nprint(q.method.message_count)"));
}

std::unique_ptr<Subprocess> rabbit_responder(const std::string& queue, const std::string& reply) {
  auto script =
      "import pika\n"
      "conn = pika.BlockingConnection(pika.ConnectionParameters('127.0.0.1', " +
      std::to_string(rabbit_server().port()) +
      "))\n"
      "ch = conn.channel()\n"
      "ch.queue_declare('" + queue + "', durable=True)\n"
      "def on(ch, m, p, body):\n"
      "  ch.basic_publish('', p.reply_to, " + reply + ", pika.BasicProperties(correlation_id=p.correlation_id,\n"
      "                   content_type=p.content_type or 'text/plain', headers={'status': '201'}))\n"
      "  ch.basic_ack(m.delivery_tag)\n"
      "ch.basic_consume('" + queue + "', on)\n"
      "print('consuming', flush=True)\n"
      "ch.start_consuming()\n";
  auto process = std::make_unique<Subprocess>(std::vector<std::string>{"/usr/bin/python3", "-u", "-c", script});
  EXPECT_TRUE(process->wait_for_line(std::regex("consuming"), 20s)) << process->output();
  return process;
}

}  // namespace causeway::testing
