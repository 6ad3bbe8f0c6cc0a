#pragma once
// Watches the config file with inotify and calls back after it changed. Editors and
// deployment tools replace the file rather than write it in place (and Kubernetes
// swaps a symlinked directory), so the directory is watched for the file's name.

#include <functional>
#include <memory>
#include <string>

namespace causeway::server {

class ConfigWatch {
 public:
  // Calls on_change (on the watch's own thread) once writes to the file have settled.
  ConfigWatch(const std::string& file, std::function<void()> on_change);
  ~ConfigWatch();
  ConfigWatch(const ConfigWatch&) = delete;
  ConfigWatch& operator=(const ConfigWatch&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::server
