#pragma once
// A message head's fields (and a response's reason) as one string of bytes and a list of
// where each field lies in it. Cleared, not freed, between messages: kept with a
// connection, it holds every head after the first without allocating, where Beast's
// `fields` takes a node per field.

#include <boost/beast/http/field.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::http {

class FlatFields {
  struct Entry {
    boost::beast::http::field code;
    std::uint32_t at;  // the name's first byte in bytes_; the value follows it
    std::uint32_t name_size;
    std::uint32_t value_size;
  };

 public:
  // One field, shaped like Beast's `fields::value_type` so that code can take either.
  class Field {
   public:
    boost::beast::http::field name() const { return code_; }
    std::string_view name_string() const { return name_; }
    std::string_view value() const { return value_; }

   private:
    friend class FlatFields;
    Field(boost::beast::http::field code, std::string_view name, std::string_view value)
        : code_(code), name_(name), value_(value) {}
    boost::beast::http::field code_;
    std::string_view name_;
    std::string_view value_;
  };

  class Iterator {
   public:
    Field operator*() const { return fields_->at(index_); }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    friend class FlatFields;
    Iterator(const FlatFields& fields, std::size_t index) : fields_(&fields), index_(index) {}
    const FlatFields* fields_;
    std::size_t index_;
  };

  void clear() {
    bytes_.clear();
    entries_.clear();
    reason_.clear();
  }
  // A response's reason phrase, kept here so that its memory is reused too.
  void set_reason(std::string_view reason) { reason_.assign(reason); }
  std::string_view reason() const { return reason_; }
  void add(boost::beast::http::field code, std::string_view name, std::string_view value) {
    entries_.push_back({code, static_cast<std::uint32_t>(bytes_.size()), static_cast<std::uint32_t>(name.size()),
                        static_cast<std::uint32_t>(value.size())});
    bytes_.append(name).append(value);
  }
  std::size_t size() const { return entries_.size(); }
  Field at(std::size_t index) const {
    const auto& entry = entries_[index];
    const std::string_view bytes = bytes_;
    return {entry.code, bytes.substr(entry.at, entry.name_size), bytes.substr(entry.at + entry.name_size, entry.value_size)};
  }
  Iterator begin() const { return {*this, 0}; }
  Iterator end() const { return {*this, entries_.size()}; }

 private:
  std::string bytes_;
  std::vector<Entry> entries_;
  std::string reason_;
};

}  // namespace causeway::http
