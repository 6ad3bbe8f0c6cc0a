// Certificates with `openssl`, requests with `curl`, certificates seen with `openssl s_client`.
#include "harness_tls.h"

#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>

namespace causeway::testing {

void TestPki::openssl(std::vector<std::string> arguments) const {
  arguments.insert(arguments.begin(), kOpenssl);
  auto result = run_command(arguments);
  if (result.exit_code != 0) throw std::runtime_error("openssl failed: " + result.output);
}

void TestPki::make_ca(const std::string& name, const std::string& common_name) {
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
           "-keyout", path(name + ".key"), "-out", path(name + ".pem"), "-subj",
           "/O=Causeway Tests/CN=" + common_name, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign"});
}

void TestPki::issue(const std::string& name, const std::string& common_name,
                    const std::vector<std::string>& alt_names, const std::string& ca) {
  std::string extensions = "basicConstraints=CA:FALSE\n";
  std::string names;
  for (const auto& alt : alt_names) {
    const bool address = std::regex_match(alt, std::regex(R"([0-9.]+|.*:.*)"));
    names += (names.empty() ? "" : ",") + std::string(address ? "IP:" : "DNS:") + alt;
  }
  if (!names.empty()) extensions += "subjectAltName=" + names + "\n";
  dir_.write(name + ".ext", extensions);
  openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/O=Causeway Tests/CN=" + common_name});
  openssl({"x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".pem"), "-CAkey", path(ca + ".key"),
           "-set_serial", std::to_string(++serial_), "-days", "2", "-extfile", path(name + ".ext"), "-out",
           path(name + ".pem")});
}

CurlResult curl(std::vector<std::string> arguments) {
  TempDir dir;
  const std::string body_file = (dir.path() / "body").string();
  std::vector<std::string> argv{"/usr/bin/curl", "-sS", "-o", body_file, "-w", "\nstatus=%{http_code}\n"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  auto run = run_command(argv);
  CurlResult result;
  result.exit_code = run.exit_code;
  result.errors = run.output;
  std::smatch match;
  if (std::regex_search(run.output, match, std::regex(R"(status=(\d{3}))"))) result.status = std::stoi(match[1]);
  std::ifstream body(body_file, std::ios::binary);
  result.body.assign(std::istreambuf_iterator<char>(body), std::istreambuf_iterator<char>());
  return result;
}

std::string served_subject(const Address& address, const std::string& ca_file) {
  auto run = run_command({"/bin/sh", "-c",
                          std::string(kOpenssl) + " s_client -connect " + address.text() + " -CAfile " + ca_file +
                              " -servername localhost </dev/null 2>&1"});
  std::smatch match;
  if (!std::regex_search(run.output, match, std::regex(R"(subject=([^\n]*))"))) return "";
  return match[1];
}

}  // namespace causeway::testing
