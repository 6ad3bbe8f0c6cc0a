#include "grpc/server_reflection.h"

#include <set>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include "grpc/health_check.h"
#include "grpc/proto_catalog.h"
#include "grpc/reflection/v1alpha/reflection.pb.h"
#include "grpc/status_mapping.h"

namespace causeway::grpc {

namespace pb = google::protobuf;
namespace reflection = ::grpc::reflection::v1alpha;

namespace {

// Where descriptors are looked up: the catalog first, then what is compiled in.
std::vector<const pb::DescriptorPool*> pools(const ProtoCatalog* catalog) {
  std::vector<const pb::DescriptorPool*> all;
  if (catalog) all.push_back(&catalog->pool());
  all.push_back(pb::DescriptorPool::generated_pool());
  return all;
}

// The file first, then everything it imports, each once.
void add_file(const pb::FileDescriptor& file, std::set<std::string>& sent, reflection::FileDescriptorResponse& out) {
  if (!sent.insert(file.name()).second) return;
  pb::FileDescriptorProto proto;
  file.CopyTo(&proto);
  file.CopyJsonNameTo(&proto);
  out.add_file_descriptor_proto(proto.SerializeAsString());
  for (int i = 0; i < file.dependency_count(); ++i) add_file(*file.dependency(i), sent, out);
}

void not_found(reflection::ServerReflectionResponse& response, const std::string& what) {
  auto* error = response.mutable_error_response();
  error->set_error_code(static_cast<int>(Code::not_found));
  error->set_error_message(what);
}

void answer_file(reflection::ServerReflectionResponse& response, const pb::FileDescriptor* file,
                 const std::string& missing) {
  if (!file) return not_found(response, missing);
  std::set<std::string> sent;
  add_file(*file, sent, *response.mutable_file_descriptor_response());
}

const pb::FileDescriptor* file_by_name(const ProtoCatalog* catalog, const std::string& name) {
  for (const auto* pool : pools(catalog)) {
    if (const auto* file = pool->FindFileByName(name)) return file;
  }
  return nullptr;
}

const pb::FileDescriptor* file_with_symbol(const ProtoCatalog* catalog, const std::string& symbol) {
  for (const auto* pool : pools(catalog)) {
    if (const auto* file = pool->FindFileContainingSymbol(symbol)) return file;
  }
  return nullptr;
}

const pb::FieldDescriptor* extension(const ProtoCatalog* catalog, const reflection::ExtensionRequest& request) {
  for (const auto* pool : pools(catalog)) {
    const auto* type = pool->FindMessageTypeByName(request.containing_type());
    if (!type) continue;
    if (const auto* found = pool->FindExtensionByNumber(type, request.extension_number())) return found;
  }
  return nullptr;
}

void answer_extension_numbers(reflection::ServerReflectionResponse& response, const ProtoCatalog* catalog,
                              const std::string& type_name) {
  for (const auto* pool : pools(catalog)) {
    const auto* type = pool->FindMessageTypeByName(type_name);
    if (!type) continue;
    std::vector<const pb::FieldDescriptor*> extensions;
    pool->FindAllExtensions(type, &extensions);
    auto* numbers = response.mutable_all_extension_numbers_response();
    numbers->set_base_type_name(type_name);
    for (const auto* field : extensions) numbers->add_extension_number(field->number());
    return;
  }
  not_found(response, "no message type " + type_name);
}

}  // namespace

std::vector<std::string> reflected_services(const ProtoCatalog* catalog) {
  std::vector<std::string> names;
  if (catalog) names = catalog->services();
  names.push_back("grpc.health.v1.Health");
  names.push_back("grpc.reflection.v1alpha.ServerReflection");
  return names;
}

std::optional<std::string> answer_reflection(std::string_view bytes, const ProtoCatalog* catalog) {
  reflection::ServerReflectionRequest request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;

  reflection::ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  using Kind = reflection::ServerReflectionRequest::MessageRequestCase;
  switch (request.message_request_case()) {
    case Kind::kListServices:
      for (const auto& name : reflected_services(catalog)) {
        response.mutable_list_services_response()->add_service()->set_name(name);
      }
      break;
    case Kind::kFileByFilename:
      answer_file(response, file_by_name(catalog, request.file_by_filename()), "no file " + request.file_by_filename());
      break;
    case Kind::kFileContainingSymbol:
      answer_file(response, file_with_symbol(catalog, request.file_containing_symbol()),
                  "no symbol " + request.file_containing_symbol());
      break;
    case Kind::kFileContainingExtension: {
      const auto& wanted = request.file_containing_extension();
      const auto* found = extension(catalog, wanted);
      answer_file(response, found ? found->file() : nullptr,
                  "no extension " + std::to_string(wanted.extension_number()) + " of " + wanted.containing_type());
      break;
    }
    case Kind::kAllExtensionNumbersOfType:
      answer_extension_numbers(response, catalog, request.all_extension_numbers_of_type());
      break;
    case Kind::MESSAGE_REQUEST_NOT_SET: {
      auto* error = response.mutable_error_response();
      error->set_error_code(static_cast<int>(Code::invalid_argument));
      error->set_error_message("the request asks for nothing");
      break;
    }
  }
  return response.SerializeAsString();
}

}  // namespace causeway::grpc
