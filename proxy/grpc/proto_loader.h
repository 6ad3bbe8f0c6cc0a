#pragma once
// Reads .proto files and descriptor sets, resolves their imports and checks them the way
// protoc does, and hands back plain FileDescriptorProtos: the catalog then builds its own
// pool from them, so nothing it serves from ever reaches back to the disk.

#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.pb.h>

namespace causeway::grpc {

struct LoadedProtos {
  std::vector<google::protobuf::FileDescriptorProto> files;  // each once, imports before their importers
  std::vector<std::string> roots;                            // names of the files asked for
};

class ProtoLoader {
 public:
  explicit ProtoLoader(std::vector<std::string> include_paths);

  // A .proto file, found through the include paths, or else a descriptor set. Throws
  // CatalogError when a descriptor set cannot be read or parsed.
  void add_file(const std::string& path);
  void add_descriptor_set(std::string_view bytes, const std::string& origin);

  // Resolves and checks everything added; throws CatalogError with every problem found,
  // each as "file:line:column: message" where the position is known.
  LoadedProtos finish();

 private:
  std::vector<std::string> include_paths_;
  std::vector<std::string> proto_files_;
  std::vector<std::pair<std::string, google::protobuf::FileDescriptorSet>> sets_;  // origin, set
};

}  // namespace causeway::grpc
