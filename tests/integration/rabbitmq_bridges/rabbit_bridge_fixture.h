#pragma once
// What the RabbitMQ bridge tests share: a config on this binary's rabbitmq-server, pika
// as the independent client, and a pika service that answers requests.

#include <boost/json/object.hpp>
#include <initializer_list>
#include <memory>
#include <string>

#include "harness.h"

namespace causeway::testing {

// Listener "public", admin, and broker "rabbit" (prefetch 16) on the test broker, then
// `more_brokers` and `upstreams` (YAML lines) and `routes` (YAML list items).
std::string rabbit_config(const std::string& routes, const std::string& more_brokers = "",
                          const std::string& upstreams = "");

// Runs pika code against the test broker and returns its last stdout line, failing the
// test on an error.
std::string pika(const std::string& script);

// Declares a queue bound to a topic exchange, both durable.
void bound_queue(const std::string& exchange, const std::string& queue, const std::string& key);

// The first message on `queue`, taken within 10 s: its body, routing key ("key") and the
// headers named, as a JSON object.
boost::json::object first_message(const std::string& queue, std::initializer_list<std::string> headers);

// The number of ready messages on a queue.
int queue_depth(const std::string& queue);

// A pika service answering requests on `queue` with `reply` (a Python expression over
// the request `body`, bytes) and status 201, to the request's reply_to with its
// correlation_id.
std::unique_ptr<Subprocess> rabbit_responder(const std::string& queue, const std::string& reply = "body");

}  // namespace causeway::testing
