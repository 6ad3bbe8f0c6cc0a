#pragma once
// The catalog of tests/proto/inventory.proto, loaded once, and a scratch directory for
// .proto files written by tests.

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "grpc/proto_catalog.h"

namespace causeway::grpc::testing {

inline std::string test_proto(const std::string& name) { return std::string(TEST_PROTO_DIR) + "/" + name; }

inline const std::shared_ptr<const ProtoCatalog>& inventory_catalog() {
  static const auto catalog = ProtoCatalog::load({test_proto("inventory.proto")}, {TEST_PROTO_DIR});
  return catalog;
}

inline const MessageType& message_type(const std::string& name) {
  const MessageType* type = inventory_catalog()->find_message(name);
  if (!type) throw std::runtime_error("no message type " + name);
  return *type;
}

// A fresh directory under the system's temp directory, removed with the object.
class ScratchDir {
 public:
  ScratchDir() : path_(std::filesystem::temp_directory_path() / ("causeway-grpc-" + std::to_string(::getpid()) + "-" +
                                                                  std::to_string(counter()++))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }

  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  static int& counter() {
    static int next = 0;
    return next;
  }
  std::filesystem::path path_;
};

// What loading these files says when it fails; "(loaded)" when it does not.
inline std::string load_error(const std::vector<std::string>& files, const std::vector<std::string>& includes) {
  try {
    ProtoCatalog::load(files, includes);
  } catch (const CatalogError& error) {
    return error.what();
  }
  return "(loaded)";
}

}  // namespace causeway::grpc::testing
