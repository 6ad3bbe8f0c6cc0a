#include "soap/operation_call.h"

#include <boost/json/object.hpp>

#include "soap/message_codec.h"

namespace causeway::soap {

http::UpstreamRequest operation_request(const SoapOperation& operation, std::string envelope, std::string target,
                                        bridge::Headers headers) {
  http::UpstreamRequest out;
  out.method = "POST";
  out.target = std::move(target);
  out.headers = std::move(headers);
  if (operation.version == SoapVersion::soap11) {
    out.headers.push_back({"content-type", std::string(content_type_of(operation.version))});
    out.headers.push_back({"soapaction", "\"" + operation.action + "\""});
  } else {
    std::string type(content_type_of(operation.version));
    if (!operation.action.empty()) type += "; action=\"" + operation.action + "\"";
    out.headers.push_back({"content-type", std::move(type)});
  }
  out.body = std::move(envelope);
  return out;
}

OperationAnswer read_answer(const bridge::Response& answer, const SoapOperation& operation) {
  OperationAnswer read;
  auto envelope = read_envelope(answer.body);
  if (envelope.ok() && envelope.fault) {
    read.kind = OperationAnswer::Kind::fault;
    read.fault = std::move(envelope.fault);
    return read;
  }
  // A one-way operation's service owes no envelope: 202 with no body is its answer.
  if (!operation.output && answer.status / 100 == 2) {
    read.kind = OperationAnswer::Kind::output;
    read.output = boost::json::object();
    return read;
  }
  if (!envelope.ok() || answer.status / 100 != 2) {
    read.error = envelope.ok() ? "status " + std::to_string(answer.status) : envelope.error;
    return read;
  }
  read.kind = body_to_json(envelope, *operation.output, read.output, read.error) ? OperationAnswer::Kind::output
                                                                                 : OperationAnswer::Kind::unfit;
  return read;
}

}  // namespace causeway::soap
