#pragma once
// TLS for the integration tests, with the command-line tools a user has: certificates
// made by `openssl` into a directory of their own, and requests made by `curl`.

#include <string>
#include <vector>

#include "harness.h"

namespace causeway::testing {

inline constexpr const char* kOpenssl = "/usr/bin/openssl";  // Subprocess runs paths, not names

// A directory of PEM files: CAs, and certificates they issued, each with its key.
class TestPki {
 public:
  // <name>.pem and <name>.key, a self-signed CA named `common_name`.
  void make_ca(const std::string& name, const std::string& common_name);
  // <name>.pem and <name>.key signed by CA `ca`, for `alt_names` (host names and IP
  // addresses; none for a client certificate). Each has a serial of its own.
  void issue(const std::string& name, const std::string& common_name, const std::vector<std::string>& alt_names,
             const std::string& ca = "ca");
  std::string path(const std::string& file) const { return (dir_.path() / file).string(); }
  void write(const std::string& file, const std::string& text) const { dir_.write(file, text); }

 private:
  void openssl(std::vector<std::string> arguments) const;

  TempDir dir_;
  int serial_ = 1000;
};

struct CurlResult {
  int exit_code = -1;  // curl's: 0, or why it failed (35: the TLS handshake, 56: receiving, ...)
  int status = 0;      // 0 when no response came
  std::string body;
  std::string errors;  // curl's own messages
};
// `curl -sS` with these arguments (the URL among them).
CurlResult curl(std::vector<std::string> arguments);

// The subject of the certificate a TLS server at `address` presents, as `openssl
// s_client` prints it ("O = Causeway Tests, CN = localhost"); empty without a handshake.
std::string served_subject(const Address& address, const std::string& ca_file);

}  // namespace causeway::testing
