#pragma once
// The message types and services Causeway knows, loaded once from .proto files or
// descriptor sets (protoc --descriptor_set_out, best with --include_imports) and
// immutable afterwards, so every thread may read it without locks. Loading throws
// CatalogError naming the file, line and column of the first problems; lookups on the
// data path return nullptr instead.
//
// Well-known types (google/protobuf/*.proto), google/api/{http,annotations}.proto and
// the gRPC health and reflection protos resolve without any include path: they are
// compiled into Causeway. A file on an include path with the same name wins.

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "grpc/http_rule.h"

namespace google::protobuf {
class Descriptor;
class DescriptorPool;
class Message;
class MethodDescriptor;
namespace util {
class TypeResolver;
}
}  // namespace google::protobuf

namespace causeway::grpc {

class CatalogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A message type of a catalog: what transcoding works on. Valid while its catalog lives.
struct MessageType {
  const google::protobuf::Descriptor* descriptor = nullptr;
  google::protobuf::util::TypeResolver* resolver = nullptr;  // the catalog's, for JSON (thread-safe)
  const google::protobuf::Message* prototype = nullptr;      // a dynamic message of the type, to parse bytes into
  std::string type_url;                                              // "type.googleapis.com/pkg.Message"
  std::string_view name() const;                                    // "pkg.Message"
};

struct RpcMethod {
  std::string service;  // "pkg.Service"
  std::string name;     // "Method"
  std::string path;     // "/pkg.Service/Method": the HTTP/2 :path of a call
  bool client_streaming = false;
  bool server_streaming = false;
  MessageType input;
  MessageType output;
  // From the google.api.http option: the primary binding, then its additional_bindings.
  std::vector<HttpRule> http_rules;
  const google::protobuf::MethodDescriptor* descriptor = nullptr;

  bool unary() const { return !client_streaming && !server_streaming; }
};

class ProtoCatalog {
 public:
  // `files`: .proto files (found through `include_paths`, "." when none are given) and
  // descriptor sets (any other file name). Their services make the catalog.
  static std::shared_ptr<const ProtoCatalog> load(const std::vector<std::string>& files,
                                                  const std::vector<std::string>& include_paths);
  // A serialized FileDescriptorSet, e.g. for tests and tools.
  static std::shared_ptr<const ProtoCatalog> from_descriptor_set(std::string_view bytes, std::string_view origin);

  ~ProtoCatalog();
  ProtoCatalog(const ProtoCatalog&) = delete;
  ProtoCatalog& operator=(const ProtoCatalog&) = delete;

  // "pkg.Service/Method" or "/pkg.Service/Method"; nullptr when there is none.
  const RpcMethod* find_method(std::string_view name) const;
  // The same, for config: throws CatalogError "no method pkg.S/M (methods of pkg.S: A, B)".
  const RpcMethod& method(std::string_view name) const;
  // "pkg.Service/*": every method of the service, in declaration order; throws CatalogError.
  std::vector<const RpcMethod*> methods(std::string_view pattern) const;
  // Fully-qualified service names, sorted.
  std::vector<std::string> services() const;

  // A message type by its full name ("pkg.Message"); nullptr when there is none.
  const MessageType* find_message(std::string_view full_name) const;

  // Every file that was loaded, with its imports: what reflection serves.
  const google::protobuf::DescriptorPool& pool() const;

 private:
  struct Impl;
  explicit ProtoCatalog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::grpc
