// Config files as causeway reads them, from a file on disk: every failure is a
// ConfigError that says file:line:col, never another exception or a crash; what loads
// holds what the checks promise (names unique and known, no two routes of a listener
// matching the same requests, compared here pair by pair).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "config/config_loader.h"

namespace {

using namespace causeway::config;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// In memory where there is a tmpfs: a file written to disk for every input left the
// fuzzer waiting on writeback more than running. A plain array, as the atexit handler
// runs after static strings are destroyed.
const char* temp_file() {
  static char path[64] = "/tmp/config_load_fuzz.XXXXXX";
  static const bool made = [] {
    if (access("/dev/shm", W_OK) == 0) std::snprintf(path, sizeof path, "/dev/shm/config_load_fuzz.XXXXXX");
    const int fd = mkstemp(path);
    check(fd >= 0);
    close(fd);
    std::atexit([] { std::remove(path); });
    return true;
  }();
  (void)made;
  return path;
}

void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  check(file != nullptr);
  check(std::fwrite(data, 1, size, file) == size);
  check(std::fclose(file) == 0);
}

void check_error(const ConfigError& error, const std::string& file) {
  check(error.file() == file);
  check(error.mark().line >= 1 && error.mark().column >= 1);
  const std::string where = file + ":" + std::to_string(error.mark().line) + ":" + std::to_string(error.mark().column) + ": ";
  const std::string what = error.what();
  check(what.starts_with(where));
  check(!error.message().empty());
  check(what.ends_with(error.message()));
}

void check_loaded(const Config& config, const std::string& file) {
  check(config.file == file);
  std::set<std::string> names;
  for (const Route& route : config.routes) {
    check(names.insert(route.name).second);
    if (const HttpSource* from = route.http_source()) check(config.find_listener(from->listener) != nullptr);
    if (const TopicSource* from = route.topic_source()) check(config.find_broker(from->broker) != nullptr);
    if (const auto* to = std::get_if<TopicTarget>(&route.to)) check(config.find_broker(to->broker) != nullptr);
    if (const auto* to = std::get_if<UpstreamTarget>(&route.to)) check(config.find_upstream(to->upstream) != nullptr);
  }
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    const HttpSource* a = config.routes[i].http_source();
    if (!a || a->annotated) continue;
    for (std::size_t j = i + 1; j < config.routes.size(); ++j) {
      const HttpSource* b = config.routes[j].http_source();
      if (!b || b->annotated || a->listener != b->listener) continue;
      check(a->method != b->method || a->path.shape() != b->path.shape());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file = temp_file();
  write_file(file, data, size);
  try {
    check_loaded(load_config(file), file);
  } catch (const ConfigError& error) {
    check_error(error, file);
  }
  return 0;
}
