#pragma once
// What the RabbitMQ bridge tests share: a config on this binary's rabbitmq-server, pika
// as the independent client, and a pika service that answers requests.

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

// The number of ready messages on a queue.
int queue_depth(const std::string& queue);

// A pika service answering requests on `queue` with `reply` (a Python expression over
// the request `body`, bytes) and status 201, to the request's reply_to with its
// correlation_id.
std::unique_ptr<Subprocess> rabbit_responder(const std::string& queue, const std::string& reply = "body");

}  // namespace causeway::testing
