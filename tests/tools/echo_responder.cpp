// A request-reply peer for tests: reads requests from a topic and answers each on
// its reply-to topic and reply-partition, with the same correlation-id and the
// request's body (and content-type).
//
//   echo_responder BOOTSTRAP TOPIC [--status N] [--delay-ms N] [--twice] [--spring]
//     --status N    add a "status: N" header to every reply
//     --delay-ms N  answer N ms after reading each request
//     --twice       send every reply two times (duplicates)
//     --spring      read and write Spring's header names (kafka_correlationId, ...;
//                   reply partition as 4 bytes big-endian)
// Prints "ready" once it reads the topic from its current end, then one line per reply.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

volatile std::sig_atomic_t stop = 0;

std::optional<std::string> header(const rd_kafka_message_t* message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return std::string(static_cast<const char*>(value), size);
}

rd_kafka_t* make(rd_kafka_type_t type, const std::string& bootstrap) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "500", error, sizeof error);  // back soon after an outage
  if (type == RD_KAFKA_CONSUMER) {
    rd_kafka_conf_set(conf, "group.id", "echo-responder", error, sizeof error);  // assign() wants one; never joined
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", error, sizeof error);
    rd_kafka_conf_set(conf, "allow.auto.create.topics", "true", error, sizeof error);
  } else {
    rd_kafka_conf_set(conf, "linger.ms", "0", error, sizeof error);
  }
  rd_kafka_t* handle = rd_kafka_new(type, conf, error, sizeof error);
  if (!handle) {
    std::cerr << "echo_responder: " << error << "\n";
    std::exit(1);
  }
  return handle;
}

// Assigns every partition of the topic at its current end.
void assign_from_end(rd_kafka_t* consumer, const std::string& topic) {
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_topic_t* handle = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (rd_kafka_metadata(consumer, 0, handle, &metadata, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      break;
    }
    if (metadata) rd_kafka_metadata_destroy(metadata);
    metadata = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  rd_kafka_topic_destroy(handle);
  if (!metadata) {
    std::cerr << "echo_responder: no metadata for " << topic << "\n";
    std::exit(1);
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(metadata->topics[0].partition_cnt);
  for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
    int64_t low = 0, high = 0;
    rd_kafka_query_watermark_offsets(consumer, topic.c_str(), i, &low, &high, 5000);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), i)->offset = high;
  }
  rd_kafka_metadata_destroy(metadata);
  rd_kafka_assign(consumer, list);
  rd_kafka_topic_partition_list_destroy(list);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: echo_responder BOOTSTRAP TOPIC [--status N] [--delay-ms N] [--twice] [--spring]\n";
    return 2;
  }
  std::string bootstrap = argv[1], topic = argv[2];
  std::optional<std::string> status;
  int delay_ms = 0;
  bool twice = false, spring = false;
  for (int i = 3; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--status" && i + 1 < argc) status = argv[++i];
    else if (arg == "--delay-ms" && i + 1 < argc) delay_ms = std::stoi(argv[++i]);
    else if (arg == "--twice") twice = true;
    else if (arg == "--spring") spring = true;
  }
  const char* id_name = spring ? "kafka_correlationId" : "correlation-id";
  const char* reply_to_name = spring ? "kafka_replyTopic" : "reply-to";
  const char* partition_name = spring ? "kafka_replyPartition" : "reply-partition";

  std::signal(SIGTERM, [](int) { stop = 1; });
  rd_kafka_t* consumer = make(RD_KAFKA_CONSUMER, bootstrap);
  rd_kafka_t* producer = make(RD_KAFKA_PRODUCER, bootstrap);
  assign_from_end(consumer, topic);
  std::cout << "ready" << std::endl;

  while (!stop) {
    rd_kafka_poll(producer, 0);
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 50);
    if (!message) continue;
    if (message->err) {
      rd_kafka_message_destroy(message);
      continue;
    }
    auto id = header(message, id_name);
    auto reply_to = header(message, reply_to_name);
    auto partition_text = header(message, partition_name);
    auto content_type = header(message, "content-type");
    if (id && reply_to) {
      int32_t partition = RD_KAFKA_PARTITION_UA;
      if (partition_text && spring && partition_text->size() == 4) {
        auto* bytes = reinterpret_cast<const unsigned char*>(partition_text->data());
        partition = static_cast<int32_t>((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]);
      } else if (partition_text) {
        partition = std::stoi(*partition_text);
      }
      if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      for (int copy = 0; copy < (twice ? 2 : 1); ++copy) {
        rd_kafka_headers_t* headers = rd_kafka_headers_new(3);
        rd_kafka_header_add(headers, id_name, -1, id->data(), static_cast<ssize_t>(id->size()));
        if (status) rd_kafka_header_add(headers, "status", -1, status->data(), -1);
        if (content_type) rd_kafka_header_add(headers, "content-type", -1, content_type->data(), -1);
        rd_kafka_header_add(headers, "x-echo", -1, "yes", -1);
        rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(reply_to->c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE(message->payload, message->len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      }
      std::cout << "replied " << *id << " to " << *reply_to << " [" << partition << "]" << std::endl;
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_flush(producer, 5000);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_destroy(producer);
  return 0;
}
