// Any bytes either parse or fail with a ConfigError; another exception or a crash is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    causeway::config::parse_config(text, "fuzz.yaml");
  } catch (const causeway::config::ConfigError&) {
  }
  return 0;
}
