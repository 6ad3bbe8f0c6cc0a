// A Kafka-protocol broker for tests (librdkafka's mock cluster) that can be taken
// down and brought back while Causeway talks to it.
//
//   mock_broker [BROKERS]      prints "bootstrap=HOST:PORT[,...]" (BROKERS: 1..100, default 1)
//                              and then reads commands:
//     down | up                all brokers refuse / accept connections
//     rtt MS                   add MS of round-trip delay to every broker
//     topic NAME PARTITIONS    create a topic
//     errors API COUNT CODE...  API: produce, fetch or offset_commit
//                              the next COUNT requests of that kind, from any client to
//                              whichever broker, fail with the CODEs in turn (repeated when
//                              fewer than COUNT), each named as rd_kafka_err2name does
//                              (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, MSG_SIZE_TOO_LARGE,
//                              _TRANSPORT: the broker drops the connection) or by number;
//                              nothing of a failed Produce is stored, a failed OffsetCommit
//                              commits nothing, a failed Fetch returns no messages
//     errors API clear         forget the errors of that kind not used yet
//     quit                     (or end of input) stop
// Each command is answered with "ok" or "error: ...". --help prints the usage line; a bad
// argument is an error on stderr and exit status 2.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kUsage =
    "usage: mock_broker [BROKERS]   (1..100 brokers, default 1; then commands on stdin: "
    "down | up | rtt MS | topic NAME PARTITIONS | errors produce|fetch|offset_commit COUNT CODE... | "
    "errors produce|fetch|offset_commit clear | quit)";
constexpr int kMaxBrokers = 100;

std::optional<int> broker_count(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > kMaxBrokers) return std::nullopt;
  return value;
}

// A code as rd_kafka_err2name spells it (without RD_KAFKA_RESP_ERR_), or its number.
std::optional<rd_kafka_resp_err_t> error_code(const std::string& text) {
  int number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc() && end == text.data() + text.size()) return static_cast<rd_kafka_resp_err_t>(number);
  const rd_kafka_err_desc* descriptions = nullptr;
  std::size_t count = 0;
  rd_kafka_get_err_descs(&descriptions, &count);
  for (std::size_t i = 0; i < count; ++i) {
    if (descriptions[i].name && text == descriptions[i].name) return descriptions[i].code;
  }
  return std::nullopt;
}

// The Kafka protocol's api keys of the requests errors can be pushed for.
std::optional<std::int16_t> api_key(std::string_view api) {
  if (api == "produce") return 0;
  if (api == "fetch") return 1;
  if (api == "offset_commit") return 8;
  return std::nullopt;
}

constexpr std::size_t kMaxErrors = 100000;  // a typo must not allocate the machine away

// "API COUNT CODE..." or "API clear": an empty string when done, else what is wrong.
std::string push_errors(rd_kafka_mock_cluster_t* cluster, std::istringstream& words) {
  std::string api, count_text;
  words >> api >> count_text;
  const auto key = api_key(api);
  if (!key) return "expected 'errors produce|fetch|offset_commit ...', got '" + api + "'";
  if (count_text == "clear") {
    rd_kafka_mock_clear_request_errors(cluster, *key);
    return "";
  }
  std::size_t count = 0;
  const auto [end, error] = std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
  if (error != std::errc() || end != count_text.data() + count_text.size() || count == 0 || count > kMaxErrors) {
    return "expected a COUNT from 1 to " + std::to_string(kMaxErrors) + ", got '" + count_text + "'";
  }
  std::vector<rd_kafka_resp_err_t> codes;
  for (std::string word; words >> word;) {
    auto code = error_code(word);
    if (!code) return "unknown error code '" + word + "'";
    codes.push_back(*code);
  }
  if (codes.empty()) return "expected at least one error CODE";
  std::vector<rd_kafka_resp_err_t> errors;
  for (std::size_t i = 0; i < count; ++i) errors.push_back(codes[i % codes.size()]);
  rd_kafka_mock_push_request_errors_array(cluster, *key, errors.size(), errors.data());
  return "";
}

int usage_error(const std::string& message) {
  std::cerr << "mock_broker: " << message << "\n" << kUsage << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::cout << kUsage << "\n";
    return 0;
  }
  if (argc > 2) return usage_error("expected at most one argument, got " + std::to_string(argc - 1));
  const auto brokers = argc > 1 ? broker_count(argv[1]) : std::optional<int>(1);
  if (!brokers) {
    return usage_error("expected a number of brokers from 1 to " + std::to_string(kMaxBrokers) + ", got '" +
                       std::string(argv[1]) + "'");
  }
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!owner) {
    std::cerr << "mock_broker: " << error << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(owner, *brokers);
  if (!cluster) {
    std::cerr << "mock_broker: cannot start the mock cluster\n";
    return 1;
  }
  std::cout << "bootstrap=" << rd_kafka_mock_cluster_bootstraps(cluster) << std::endl;

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string command;
    words >> command;
    rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (command == "down") {
      result = rd_kafka_mock_broker_set_down(cluster, -1);
    } else if (command == "up") {
      result = rd_kafka_mock_broker_set_up(cluster, -1);
    } else if (command == "rtt") {
      int ms = 0;
      words >> ms;
      result = rd_kafka_mock_broker_set_rtt(cluster, -1, ms);
    } else if (command == "topic") {
      std::string name;
      int partitions = 1;
      words >> name >> partitions;
      result = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1);
    } else if (command == "errors") {
      if (auto problem = push_errors(cluster, words); !problem.empty()) {
        std::cout << "error: " << problem << std::endl;
        continue;
      }
    } else if (command == "quit") {
      break;
    } else {
      std::cout << "error: unknown command '" << command << "'" << std::endl;
      continue;
    }
    if (result == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cout << "ok" << std::endl;
    } else {
      std::cout << "error: " << rd_kafka_err2str(result) << std::endl;
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(owner);
  return 0;
}
