#include "routing/captures.h"

namespace causeway::routing {

const std::string* find_capture(const Captures& captures, std::string_view name) {
  for (const Capture& capture : captures) {
    if (capture.name == name) return &capture.value;
  }
  return nullptr;
}

}  // namespace causeway::routing
