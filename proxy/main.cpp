// causeway: wiring only. Parses the command line, loads the config, runs the server.

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>
#include <string_view>
#include <librdkafka/rdkafka.h>

#include "config/config_loader.h"
#include "kafka/kafka_adapter.h"
#include "rabbitmq/rabbit_adapter.h"
#include "server/config_check.h"
#include "server/logging.h"
#include "server/server.h"

namespace {

int validate(const std::string& file) {
  try {
    const auto config = causeway::server::load_checked_config(file).config;
    std::cout << file << ": OK (" << config->listeners.size() << " listener(s), " << config->brokers.size()
              << " broker(s), " << config->routes.size() << " route(s))\n";
    return 0;
  } catch (const causeway::config::ConfigError& error) {
    std::cerr << error.what() << "\n";
    return 1;
  }
}

int serve(const std::string& file) {
  causeway::server::CheckedConfig config;
  try {
    config = causeway::server::load_checked_config(file);
  } catch (const causeway::config::ConfigError& error) {
    spdlog::error("{}", error.what());
    return 1;
  }
  try {
    causeway::server::Server server(std::move(config), {CAUSEWAY_VERSION});
    return server.run();
  } catch (const std::exception& error) {
    spdlog::critical("cannot start: {}", error.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // The broker kinds this binary speaks; the config loader and the runtime know no other.
  causeway::kafka::register_kafka();
  causeway::rabbitmq::register_rabbitmq();

  CLI::App app{"Causeway: a sidecar proxy that bridges REST, gRPC and SOAP with Kafka and RabbitMQ", "causeway"};
  std::string config_file = "config/causeway.yaml";
  std::string log_level = "info";
  std::string log_format = "text";
  app.add_option("-c,--config", config_file, "Configuration file")->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")->capture_default_str();
  app.add_option("--log-format", log_format, "text or json (one JSON object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "Print the version and exit");

  // `causeway validate FILE`, `causeway validate --config FILE` and `causeway -c FILE validate`
  // all check FILE: people type the option they start the server with.
  std::string validate_file;
  auto* validate_command = app.add_subcommand("validate", "Check a configuration file without starting anything");
  validate_command->add_option("file,-c,--config", validate_file, "Configuration file (default: the --config before it)");

  // `causeway help [command]`, since people type it as often as --help. Listed as a
  // subcommand for the usage, but answered before parsing: CLI11 would take the topic
  // ("validate") for the command itself.
  app.add_subcommand("help", "Print this help, or a command's (help validate), and exit");
  if (argc >= 2 && std::string_view(argv[1]) == "help") {
    if (argc == 2) {
      std::cout << app.help();
      return 0;
    }
    for (const auto* command : app.get_subcommands({})) {
      if (command->get_name() == argv[2] && command->get_name() != "help") {
        std::cout << command->help(app.get_name());
        return 0;
      }
    }
    std::cerr << "causeway help: no command '" << argv[2] << "' (commands: validate, help)\n";
    return 2;
  }

  CLI11_PARSE(app, argc, argv);

  if (show_version) {
    std::cout << "causeway " << CAUSEWAY_VERSION << " (librdkafka " << rd_kafka_version_str() << ")\n";
    return 0;
  }
  // What validate logs (warnings while loading) looks like the server's log.
  if (!causeway::server::setup_logging(log_level, log_format)) {
    std::cerr << "--log-level: unknown level '" << log_level << "'\n";
    return 2;
  }
  // validate keeps the signals' default action, so Ctrl-C and timeout(1) end it.
  if (*validate_command) return validate(validate_file.empty() ? config_file : validate_file);
  // Before any thread exists, so every thread inherits the mask and signals wait for sigwait.
  causeway::server::block_shutdown_signals();
  return serve(config_file);
}
