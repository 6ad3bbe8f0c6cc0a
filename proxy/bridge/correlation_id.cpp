#include "bridge/correlation_id.h"

#include <algorithm>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace causeway::bridge {

std::string new_correlation_id() {
  // Seeded once per thread from the OS; a syscall per id would cost more than the rest.
  thread_local boost::uuids::random_generator_mt19937 generate;
  return boost::uuids::to_string(generate());
}

namespace {

RequestDigest digest_of(const boost::uuids::uuid& uuid) {
  RequestDigest digest;
  std::copy(uuid.begin(), uuid.end(), digest.begin());
  return digest;
}

}  // namespace

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

RequestDigest request_digest(std::string_view method, std::string_view path, std::string_view query,
                             std::string_view body) {
  static const boost::uuids::uuid kNamespace = {{0x2f, 0x91, 0x0c, 0x6e, 0x53, 0xd8, 0x4a, 0x07, 0xb1, 0x3e, 0x7c,
                                                  0x48, 0x95, 0x0a, 0xe2, 0x6d}};
  boost::uuids::name_generator_sha1 generate(kNamespace);
  // The body is digested alone, so that a large one is not copied to sit after the head.
  const auto body_digest = generate(body.data(), body.size());
  std::string head;
  head.reserve(method.size() + path.size() + query.size() + 2 + body_digest.size());
  // Unambiguous: method and path hold no newline, and the body's digest has a fixed width.
  head.append(method).push_back('\n');
  head.append(path).push_back('\n');
  head.append(query);
  head.append(body_digest.begin(), body_digest.end());
  return digest_of(generate(head.data(), head.size()));
}

}  // namespace causeway::bridge
