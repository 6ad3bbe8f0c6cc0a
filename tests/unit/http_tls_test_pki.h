#pragma once
// Certificates for the TLS tests, made in memory with OpenSSL (EC P-256 keys, valid
// from an hour ago for a day) and written as PEM files into a directory of their own.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

namespace causeway::http::test_pki {

struct Issued {
  std::string certificate;  // PEM
  std::string key;          // PEM, unencrypted
};

class Authority {
 public:
  explicit Authority(const std::string& common_name);
  ~Authority();
  Authority(const Authority&) = delete;
  Authority& operator=(const Authority&) = delete;

  const std::string& certificate() const { return self_.certificate; }
  // A leaf certificate for `names` (host names and IP addresses, in subjectAltName).
  Issued issue(const std::string& common_name, const std::vector<std::string>& names) const;

 private:
  struct Handles;
  std::unique_ptr<Handles> handles_;
  Issued self_;
};

// A PEM private key encrypted with a password, as `openssl genpkey -aes256` writes one.
std::string encrypted_key(const std::string& key_pem);

// A fresh temporary directory, removed with its contents.
class PemDir {
 public:
  PemDir();
  ~PemDir();
  PemDir(const PemDir&) = delete;
  PemDir& operator=(const PemDir&) = delete;
  // The file's path, as a setting written at line `line` would name it.
  config::FileSetting write(const std::string& name, const std::string& text, int line = 1) const;
  config::FileSetting missing(const std::string& name, int line = 1) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace causeway::http::test_pki
