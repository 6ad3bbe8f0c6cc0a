#include "grpc/proto_catalog.h"

#include <map>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include "grpc/proto_loader.h"

namespace causeway::grpc {

namespace pb = google::protobuf;

namespace {

constexpr std::string_view kTypeUrlPrefix = "type.googleapis.com";

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

// Builds a pool of its own from loaded files: no fallback database, so lookups are
// lock-free reads and never touch the disk or an error collector gone out of scope.
class BuildErrors : public pb::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& file, const std::string& element, const pb::Message*, ErrorLocation,
                const std::string& message) override {
    errors += (errors.empty() ? "" : "\n") + file + ": " + element + ": " + message;
  }
  std::string errors;
};

}  // namespace

std::string_view MessageType::name() const { return descriptor->full_name(); }

struct ProtoCatalog::Impl {
  pb::DescriptorPool pool;
  std::unique_ptr<pb::util::TypeResolver> resolver{
      pb::util::NewTypeResolverForDescriptorPool(std::string(kTypeUrlPrefix), &pool)};
  // After the pool: its prototypes point into the pool's descriptors. GetPrototype locks.
  pb::DynamicMessageFactory factory{&pool};
  std::map<std::string, MessageType, std::less<>> messages;  // by full name
  std::map<std::string, RpcMethod, std::less<>> methods;     // by path, "/pkg.Service/Method"
  std::map<std::string, std::vector<const RpcMethod*>, std::less<>> services;

  void add_messages(const pb::Descriptor& message) {
    messages.emplace(message.full_name(),
                     MessageType{&message, resolver.get(), factory.GetPrototype(&message),
                                 std::string(kTypeUrlPrefix) + "/" + message.full_name()});
    for (int i = 0; i < message.nested_type_count(); ++i) add_messages(*message.nested_type(i));
  }

  void add_service(const pb::ServiceDescriptor& service) {
    auto& list = services[service.full_name()];
    for (int i = 0; i < service.method_count(); ++i) {
      const pb::MethodDescriptor& descriptor = *service.method(i);
      RpcMethod method;
      method.service = service.full_name();
      method.name = descriptor.name();
      method.path = "/" + method.service + "/" + method.name;
      method.client_streaming = descriptor.client_streaming();
      method.server_streaming = descriptor.server_streaming();
      method.input = messages.at(descriptor.input_type()->full_name());
      method.output = messages.at(descriptor.output_type()->full_name());
      method.http_rules = http_rules_of(descriptor);
      method.descriptor = &descriptor;
      const auto [at, added] = methods.emplace(method.path, std::move(method));
      if (added) list.push_back(&at->second);
    }
  }

  static std::unique_ptr<Impl> build(const LoadedProtos& loaded) {
    auto impl = std::make_unique<Impl>();
    BuildErrors errors;
    for (const auto& proto : loaded.files) {
      const pb::FileDescriptor* file = impl->pool.BuildFileCollectingErrors(proto, &errors);
      if (!file) throw CatalogError(errors.errors.empty() ? proto.name() + ": does not build" : errors.errors);
      for (int i = 0; i < file->message_type_count(); ++i) impl->add_messages(*file->message_type(i));
    }
    for (const auto& root : loaded.roots) {
      const pb::FileDescriptor* file = impl->pool.FindFileByName(root);
      for (int i = 0; i < file->service_count(); ++i) impl->add_service(*file->service(i));
    }
    return impl;
  }
};

ProtoCatalog::ProtoCatalog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProtoCatalog::~ProtoCatalog() = default;

std::shared_ptr<const ProtoCatalog> ProtoCatalog::load(const std::vector<std::string>& files,
                                                       const std::vector<std::string>& include_paths) {
  ProtoLoader loader(include_paths);
  for (const auto& file : files) loader.add_file(file);
  return std::shared_ptr<const ProtoCatalog>(new ProtoCatalog(Impl::build(loader.finish())));
}

std::shared_ptr<const ProtoCatalog> ProtoCatalog::from_descriptor_set(std::string_view bytes, std::string_view origin) {
  ProtoLoader loader({});
  loader.add_descriptor_set(bytes, std::string(origin));
  return std::shared_ptr<const ProtoCatalog>(new ProtoCatalog(Impl::build(loader.finish())));
}

const RpcMethod* ProtoCatalog::find_method(std::string_view name) const {
  if (!name.starts_with('/')) {
    const std::string path = "/" + std::string(name);
    return find_method(path);
  }
  const auto found = impl_->methods.find(name);
  return found == impl_->methods.end() ? nullptr : &found->second;
}

const RpcMethod& ProtoCatalog::method(std::string_view name) const {
  if (const RpcMethod* found = find_method(name)) return *found;
  if (name.starts_with('/')) name.remove_prefix(1);
  const auto slash = name.find('/');
  if (slash == std::string_view::npos) {
    throw CatalogError("expected a method as pkg.Service/Method, got '" + std::string(name) + "'");
  }
  const auto service = impl_->services.find(name.substr(0, slash));
  if (service == impl_->services.end()) {
    throw CatalogError("no method " + std::string(name) + " (services: " + joined(services()) + ")");
  }
  std::vector<std::string> names;
  for (const RpcMethod* method : service->second) names.push_back(method->name);
  throw CatalogError("no method " + std::string(name) + " (methods of " + service->first + ": " + joined(names) + ")");
}

std::vector<const RpcMethod*> ProtoCatalog::methods(std::string_view pattern) const {
  if (pattern.starts_with('/')) pattern.remove_prefix(1);
  if (!pattern.ends_with("/*")) {
    throw CatalogError("expected a service as pkg.Service/*, got '" + std::string(pattern) + "'");
  }
  pattern.remove_suffix(2);
  const auto service = impl_->services.find(pattern);
  if (service == impl_->services.end()) {
    throw CatalogError("no service " + std::string(pattern) + " (services: " + joined(services()) + ")");
  }
  return service->second;
}

std::vector<std::string> ProtoCatalog::services() const {
  std::vector<std::string> names;
  for (const auto& [name, methods] : impl_->services) names.push_back(name);
  return names;
}

const MessageType* ProtoCatalog::find_message(std::string_view full_name) const {
  const auto found = impl_->messages.find(full_name);
  return found == impl_->messages.end() ? nullptr : &found->second;
}

const google::protobuf::DescriptorPool& ProtoCatalog::pool() const { return impl_->pool; }

}  // namespace causeway::grpc
