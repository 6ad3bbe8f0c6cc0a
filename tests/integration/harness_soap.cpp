// The spyne service of the SOAP tests, as a child process.
#include "harness_soap.h"

#include <boost/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace causeway::testing {

SpyneQuotes::SpyneQuotes(bool soap12)
    : process_({"/usr/bin/python3", std::string(SOURCE_DIR) + "/tests/integration/soap/spyne_quotes.py",
                soap12 ? "--soap12" : "0"}) {
  auto port = process_.wait_for_line(std::regex("^port (\\d+)"), 30s);
  if (!port) throw std::runtime_error("spyne did not start: " + process_.output());
  address_ = Address::parse("127.0.0.1:" + (*port)[1]);
}

std::string SpyneQuotes::wsdl() const { return http(address_, "GET", "/?wsdl").body; }

std::vector<boost::json::value> SpyneQuotes::calls() const {
  std::vector<boost::json::value> calls;
  std::istringstream lines(process_.output());
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("call ")) calls.push_back(boost::json::parse(line.substr(5)));
  }
  return calls;
}

bool SpyneQuotes::wait_calls(std::size_t count, Duration timeout) const {
  return eventually([&] { return calls().size() >= count; }, timeout);
}

boost::json::value zeep_call(const Address& listener, const std::string& wsdl_path, const std::string& service,
                             const std::string& port, const std::string& operation, const std::string& arguments) {
  auto result = run_command({"/usr/bin/python3", std::string(SOURCE_DIR) + "/tests/integration/soap/zeep_call.py",
                             "http://" + listener.text() + wsdl_path + "?wsdl", service, port, operation, arguments},
                            30s);
  if (result.exit_code != 0) throw std::runtime_error("zeep failed:\n" + result.output);
  // The last line is the script's; zeep may warn before it.
  const auto last = result.output.rfind("\n{");
  return boost::json::parse(result.output.substr(last == std::string::npos ? 0 : last + 1));
}

}  // namespace causeway::testing
