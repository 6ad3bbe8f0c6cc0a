#pragma once
// The SOAP peers of the integration tests: the spyne QuoteService of
// tests/integration/soap/spyne_quotes.py, on a free port, and what it was called with;
// zeep (python3-zeep) as a SOAP client of Causeway.

#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace causeway::testing {

class SpyneQuotes {
 public:
  explicit SpyneQuotes(bool soap12 = false);
  Address address() const { return address_; }
  std::string url() const { return "http://" + address_.text(); }
  // The WSDL spyne generates, as a client would fetch it.
  std::string wsdl() const;
  // The arguments of each call so far, as spyne read them from the envelope:
  // {"operation":"GetQuote","symbol":"ACME","days":2}.
  std::vector<boost::json::value> calls() const;
  bool wait_calls(std::size_t count, Duration timeout) const;

 private:
  Subprocess process_;
  Address address_;
};

// zeep's call of an operation through the WSDL Causeway serves at `wsdl_path`:
// {"result": ...} or {"fault", "code"}; throws when zeep fails otherwise.
boost::json::value zeep_call(const Address& listener, const std::string& wsdl_path, const std::string& service,
                             const std::string& port, const std::string& operation, const std::string& arguments);

}  // namespace causeway::testing
