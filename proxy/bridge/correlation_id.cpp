#include "bridge/correlation_id.h"

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace causeway::bridge {

std::string new_correlation_id() {
  // Seeded once per thread from the OS; a syscall per id would cost more than the rest.
  thread_local boost::uuids::random_generator_mt19937 generate;
  return boost::uuids::to_string(generate());
}

std::string correlation_id_for(std::string_view route, std::string_view idempotency_key) {
  // A fixed namespace of our own, so ids cannot collide with other v5 users.
  static const boost::uuids::uuid kNamespace = {{0x6b, 0x1e, 0x3c, 0x52, 0x0f, 0x7a, 0x4d, 0x1b, 0x9c, 0x44, 0x2e,
                                                  0x85, 0x1a, 0x60, 0xd3, 0x27}};
  boost::uuids::name_generator_sha1 generate(kNamespace);
  std::string name;
  name.reserve(route.size() + 1 + idempotency_key.size());
  name.append(route).push_back('\n');
  name.append(idempotency_key);
  return boost::uuids::to_string(generate(name.data(), name.size()));
}

}  // namespace causeway::bridge
