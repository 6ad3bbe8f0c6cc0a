#include "grpc/proto_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>

#include "google/api/annotations.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "grpc/proto_catalog.h"
#include "grpc/reflection/v1alpha/reflection.pb.h"

namespace causeway::grpc {

namespace pb = google::protobuf;

namespace {

// Errors as the user can find them: on-disk paths and 1-based positions.
class ErrorList : public pb::compiler::MultiFileErrorCollector {
 public:
  explicit ErrorList(pb::compiler::DiskSourceTree& tree) : tree_(tree) {}

  void AddError(const std::string& file, int line, int column, const std::string& message) override {
    std::string where = file;
    std::string disk;
    if (tree_.VirtualFileToDiskFile(file, &disk)) where = disk;
    if (line >= 0) where += ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1);
    errors.push_back(where + ": " + message);
  }
  void AddWarning(const std::string&, int, int, const std::string&) override {}  // protoc's warnings stay protoc's

  std::vector<std::string> errors;

 private:
  pb::compiler::DiskSourceTree& tree_;
};

[[noreturn]] void fail(const std::vector<std::string>& errors) {
  constexpr std::size_t kShown = 10;
  std::string text;
  for (std::size_t i = 0; i < errors.size() && i < kShown; ++i) text += (i ? "\n" : "") + errors[i];
  if (errors.size() > kShown) text += "\n(" + std::to_string(errors.size() - kShown) + " more errors)";
  throw CatalogError(text);
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CatalogError(path + ": cannot be read (" + std::strerror(errno) + ")");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The source tree's message when it has one, else the OS's reason (it often has none).
std::string why_unreadable(const std::string& path, const std::string& reported) {
  if (!reported.empty()) return reported;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::strerror(errno);
  return "it opens now, but did not while loading";
}

// Imports first, each file once.
void collect(const pb::FileDescriptor& file, std::set<std::string>& seen, LoadedProtos& out) {
  if (!seen.insert(file.name()).second) return;
  for (int i = 0; i < file.dependency_count(); ++i) collect(*file.dependency(i), seen, out);
  pb::FileDescriptorProto proto;
  file.CopyTo(&proto);
  file.CopyJsonNameTo(&proto);  // CopyTo leaves json_name out; custom ones must survive
  out.files.push_back(std::move(proto));
}

// What catalogs may import without an include path. Naming each file's code here links it
// in: a static library contributes only the objects that something refers to, and a
// generated file registers itself in the generated pool only when it is linked.
void link_compiled_in_files() {
  [[maybe_unused]] const void* volatile linked[] = {&google::api::http,
                                                     &::grpc::health::v1::_HealthCheckRequest_default_instance_,
                                                     &::grpc::reflection::v1alpha::_ServerReflectionRequest_default_instance_};
}

}  // namespace

ProtoLoader::ProtoLoader(std::vector<std::string> include_paths) : include_paths_(std::move(include_paths)) {
  if (include_paths_.empty()) include_paths_.push_back(".");  // as protoc does without -I
}

void ProtoLoader::add_file(const std::string& path) {
  if (path.ends_with(".proto")) {
    proto_files_.push_back(path);  // read in finish(), once every include path is known
  } else {
    add_descriptor_set(read_file(path), path);
  }
}

void ProtoLoader::add_descriptor_set(std::string_view bytes, const std::string& origin) {
  pb::FileDescriptorSet set;
  if (!set.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || set.file_size() == 0) {
    throw CatalogError(origin + ": not a descriptor set (a serialized google.protobuf.FileDescriptorSet, "
                                "as protoc --descriptor_set_out writes)");
  }
  sets_.emplace_back(origin, std::move(set));
}

LoadedProtos ProtoLoader::finish() {
  link_compiled_in_files();
  pb::compiler::DiskSourceTree tree;
  for (const auto& path : include_paths_) tree.MapPath("", path);
  ErrorList errors(tree);

  // Files from descriptor sets first, then .proto files from the include paths, then
  // what is compiled in (well-known types, google.api, gRPC health and reflection).
  pb::SimpleDescriptorDatabase set_files;
  std::vector<std::string> roots;
  for (const auto& [origin, set] : sets_) {
    for (const auto& file : set.file()) {
      pb::FileDescriptorProto known;
      if (set_files.FindFileByName(file.name(), &known)) {
        if (known.SerializeAsString() != file.SerializeAsString()) {
          errors.errors.push_back(origin + ": " + file.name() + " is also in another descriptor set, differently");
        }
        continue;
      }
      set_files.Add(file);
      roots.push_back(file.name());
    }
  }
  pb::DescriptorPoolDatabase compiled_in(*pb::DescriptorPool::generated_pool());
  pb::compiler::SourceTreeDescriptorDatabase sources(&tree, &compiled_in);
  sources.RecordErrorsTo(&errors);
  pb::MergedDescriptorDatabase all(&set_files, &sources);
  pb::DescriptorPool pool(&all, sources.GetValidationErrorCollector());

  for (const auto& path : proto_files_) {
    std::string virtual_file;
    std::string shadowing;
    switch (tree.DiskFileToVirtualFile(path, &virtual_file, &shadowing)) {
      case pb::compiler::DiskSourceTree::SUCCESS: roots.push_back(virtual_file); break;
      case pb::compiler::DiskSourceTree::SHADOWED:
        errors.errors.push_back(path + ": shadowed by " + shadowing + ", which has the same name on an earlier include path");
        break;
      case pb::compiler::DiskSourceTree::CANNOT_OPEN:
        errors.errors.push_back(path + ": cannot be read (" + why_unreadable(path, tree.GetLastErrorMessage()) + ")");
        break;
      case pb::compiler::DiskSourceTree::NO_MAPPING:
        errors.errors.push_back(path + ": not under any include path (" + joined(include_paths_) +
                                "); add its directory to the include paths");
        break;
    }
  }
  if (!errors.errors.empty()) fail(errors.errors);

  LoadedProtos loaded;
  std::set<std::string> seen;
  for (const auto& root : roots) {
    const pb::FileDescriptor* file = pool.FindFileByName(root);
    if (!file) {
      if (errors.errors.empty()) errors.errors.push_back(root + ": could not be loaded");
      fail(errors.errors);
    }
    if (std::find(loaded.roots.begin(), loaded.roots.end(), root) == loaded.roots.end()) loaded.roots.push_back(root);
    collect(*file, seen, loaded);
  }
  if (!errors.errors.empty()) fail(errors.errors);
  return loaded;
}

}  // namespace causeway::grpc
