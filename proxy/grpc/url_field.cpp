#include "grpc/url_field.h"

#include <charconv>
#include <cstdint>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <google/protobuf/descriptor.h>

namespace causeway::grpc {

namespace pb = google::protobuf;

namespace {

// Message types whose JSON form is a single string or number, so one URL value fills them.
bool is_scalar_like(const pb::Descriptor& type) {
  const std::string& name = type.full_name();
  return name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask" ||
         (type.file()->name() == "google/protobuf/wrappers.proto" && type.FindFieldByName("value"));
}

// The JSON value for one text value of a field of this type.
boost::json::value leaf_value(const pb::FieldDescriptor& field, std::string_view text) {
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      // The JSON parser wants the literals; anything else goes as a string and is reported.
      if (text == "true") return true;
      if (text == "false") return false;
      break;
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      // A number picks the value by number; a name goes as a string.
      if (std::int64_t number = 0; !text.empty()) {
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error == std::errc() && end == text.data() + text.size()) return number;
      }
      break;
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      const pb::FieldDescriptor* inner = field.message_type()->FindFieldByName("value");
      if (inner && field.message_type()->file()->name() == "google/protobuf/wrappers.proto") {
        return leaf_value(*inner, text);
      }
      break;
    }
    default: break;
  }
  // Numbers go as strings too: proto3 JSON accepts "12" for every numeric type, and
  // protobuf then names the field and the type when the text is no number.
  return boost::json::string(text);
}

}  // namespace

FieldPath resolve_field_path(const pb::Descriptor& message, std::string_view dotted_name) {
  FieldPath path;
  const pb::Descriptor* type = &message;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted_name.find('.', start);
    const std::string name(dotted_name.substr(start, dot == std::string_view::npos ? dotted_name.npos : dot - start));
    const std::string parent(dotted_name.substr(0, start ? start - 1 : 0));
    if (!type) {
      return {FieldOutcome::unusable, {}, "field '" + parent + "' is not a message, so it has no field '" + name + "'"};
    }
    const pb::FieldDescriptor* field = type->FindFieldByName(name);
    if (!field) field = type->FindFieldByCamelcaseName(name);
    if (!field) {
      return {FieldOutcome::no_such_field, {},
              "field '" + std::string(dotted_name) + "' does not exist in " + message.full_name()};
    }
    if (dot != std::string_view::npos && field->is_repeated()) {
      return {FieldOutcome::unusable, {},
              "field '" + parent + (parent.empty() ? "" : ".") + name + "' is repeated, so its fields cannot be set"};
    }
    path.fields.push_back(field);
    if (dot == std::string_view::npos) return path;
    type = field->message_type();
    start = dot + 1;
  }
}

UrlField url_field_json(const pb::Descriptor& message, std::string_view dotted_name, std::string_view text) {
  FieldPath resolved = resolve_field_path(message, dotted_name);
  if (resolved.outcome != FieldOutcome::ok) return {resolved.outcome, {}, std::move(resolved.error)};
  const std::vector<const pb::FieldDescriptor*>& path = resolved.fields;

  const pb::FieldDescriptor& leaf = *path.back();
  if (leaf.is_map()) {
    return {FieldOutcome::unusable, {}, "field '" + std::string(dotted_name) + "' is a map; it cannot be set from the URL"};
  }
  if (leaf.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && !is_scalar_like(*leaf.message_type())) {
    return {FieldOutcome::unusable, {},
            "field '" + std::string(dotted_name) + "' is a message (" + leaf.message_type()->full_name() +
                "); name one of its fields instead"};
  }
  boost::json::value value = leaf_value(leaf, text);
  // A repeated field gets one element per value; the caller's pieces are merged, so they add up.
  if (leaf.is_repeated()) value = boost::json::array{std::move(value)};
  for (auto field = path.rbegin(); field != path.rend(); ++field) {
    boost::json::object wrapper;
    wrapper[(*field)->name()] = std::move(value);
    value = std::move(wrapper);
  }
  return {FieldOutcome::ok, boost::json::serialize(value), {}};
}

}  // namespace causeway::grpc
