#include "rabbitmq/field_text.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>

#include "rabbitmq/amqp_bytes.h"

namespace causeway::rabbitmq {
namespace {

std::string double_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string decimal_text(const amqp_decimal_t& decimal) {
  std::string digits = std::to_string(decimal.value);
  if (decimal.decimals == 0) return digits;
  const std::size_t decimals = decimal.decimals;
  if (digits.size() <= decimals) digits = std::string(decimals - digits.size() + 1, '0') + digits;
  const std::size_t point = digits.size() - decimals;
  return digits.substr(0, point) + '.' + digits.substr(point);
}

boost::json::value json_of(const amqp_field_value_t& value);

boost::json::object json_of(const amqp_table_t& table) {
  boost::json::object out;
  for (int i = 0; i < table.num_entries; ++i) out[text_of(table.entries[i].key)] = json_of(table.entries[i].value);
  return out;
}

boost::json::value json_of(const amqp_field_value_t& value) {
  switch (value.kind) {
    case AMQP_FIELD_KIND_BOOLEAN: return value.value.boolean != 0;
    case AMQP_FIELD_KIND_I8: return value.value.i8;
    case AMQP_FIELD_KIND_U8: return value.value.u8;
    case AMQP_FIELD_KIND_I16: return value.value.i16;
    case AMQP_FIELD_KIND_U16: return value.value.u16;
    case AMQP_FIELD_KIND_I32: return value.value.i32;
    case AMQP_FIELD_KIND_U32: return value.value.u32;
    case AMQP_FIELD_KIND_I64: return value.value.i64;
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP: return value.value.u64;
    case AMQP_FIELD_KIND_F32: return static_cast<double>(value.value.f32);
    case AMQP_FIELD_KIND_F64: return value.value.f64;
    case AMQP_FIELD_KIND_DECIMAL:
      return static_cast<double>(value.value.decimal.value) / std::pow(10.0, value.value.decimal.decimals);
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES: return boost::json::string(text_of(value.value.bytes));
    case AMQP_FIELD_KIND_TABLE: return json_of(value.value.table);
    case AMQP_FIELD_KIND_ARRAY: {
      boost::json::array out;
      for (int i = 0; i < value.value.array.num_entries; ++i) out.push_back(json_of(value.value.array.entries[i]));
      return out;
    }
    default: return nullptr;  // void, and kinds this library version does not know
  }
}

}  // namespace

std::string field_text(const amqp_field_value_t& value) {
  switch (value.kind) {
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES: return text_of(value.value.bytes);
    case AMQP_FIELD_KIND_BOOLEAN: return value.value.boolean ? "true" : "false";
    case AMQP_FIELD_KIND_DECIMAL: return decimal_text(value.value.decimal);
    case AMQP_FIELD_KIND_VOID: return "";
    case AMQP_FIELD_KIND_F32: return double_text(value.value.f32);
    case AMQP_FIELD_KIND_F64: return double_text(value.value.f64);
    default: return boost::json::serialize(json_of(value));  // integers, timestamps, tables, arrays
  }
}

}  // namespace causeway::rabbitmq
