// JSON written straight from a program's own data: no boost::json value is built, allocated and walked
// first. The bytes are json_dumps' for the same data (compact; strings escaped as Boost.JSON escapes them;
// floats as Python's json.dumps writes them).
#pragma once

#include <boost/json/fwd.hpp>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "duet/detail/byte_words.hpp"

namespace duet::http {

/// Writes one JSON document, front to back; commas are placed by the writer:
///
///   JsonWriter out;
///   out.begin_object().key("id").value(w.id).key("tags").begin_array();
///   for (auto& t : tags) out.value(t);
///   out.end_array().end_object();
///   return JsonResponse(std::move(out));
///
/// The writer does not check the document's structure (a value where a key is due, an end without its
/// begin): it writes what it is told.
class JsonWriter {
 public:
  /// `capacity`: the bytes reserved at first (the output grows as needed).
  explicit JsonWriter(std::size_t capacity = 128) { out_.resize(capacity); }

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  /// An object's key; its value follows.
  JsonWriter& key(std::string_view name) {
    separate();
    string(name);
    put(':');
    comma_ = false;
    return *this;
  }

  template <std::integral I>
  requires(!std::same_as<I, bool>) JsonWriter& value(I i) {
    separate();
    if constexpr (std::is_signed_v<I>) {
      integer(static_cast<std::int64_t>(i));
    } else {
      integer(static_cast<std::uint64_t>(i));
    }
    comma_ = true;
    return *this;
  }
  JsonWriter& value(bool b) { return literal(b ? std::string_view("true") : std::string_view("false")); }
  JsonWriter& value(std::nullptr_t) { return literal("null"); }
  JsonWriter& value(double d);
  JsonWriter& value(std::string_view s) {
    separate();
    string(s);
    comma_ = true;
    return *this;
  }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  /// A Boost.JSON value, object or array, written in place (not copied into a value first).
  JsonWriter& value(const boost::json::value& v);
  JsonWriter& value(const boost::json::object& o);
  JsonWriter& value(const boost::json::array& a);

  /// The text so far.
  std::string_view view() const noexcept { return {out_.data(), length_}; }
  /// Moves the text out (the writer is then empty).
  std::string str() && {
    out_.resize(length_);
    length_ = 0;
    comma_ = false;
    return std::move(out_);
  }

 private:
  // The output is sized ahead and trimmed once at the end: std::string's += checks the capacity and writes
  // the terminator on every call, which for a small object costs more than writing its text.
  char* room(std::size_t n) {
    if (out_.size() - length_ < n) grow(n);
    return out_.data() + length_;
  }
  void grow(std::size_t n);
  void put(char c) {
    *room(1) = c;
    ++length_;
  }
  void separate() {
    if (comma_) put(',');
  }
  JsonWriter& open(char c) {
    separate();
    put(c);
    comma_ = false;
    return *this;
  }
  JsonWriter& close(char c) {
    put(c);
    comma_ = true;
    return *this;
  }
  JsonWriter& literal(std::string_view text) {
    separate();
    std::memcpy(room(text.size()), text.data(), text.size());
    length_ += text.size();
    comma_ = true;
    return *this;
  }
  template <class Integer>
  void integer(Integer i) {
    char* at = room(20);  // the longest 64-bit integer, "-9223372036854775808", is 20 characters
    length_ += static_cast<std::size_t>(std::to_chars(at, at + 20, i).ptr - at);
  }
  // Inline, so a key or value known at compile time is checked and copied without a loop or a call.
  void string(std::string_view s) {
    if (duet::detail::any_byte_below_or_in<'"', '\\'>(s, 0x20)) {
      escaped_string(s);
      return;
    }
    char* at = room(s.size() + 2);
    at[0] = '"';
    std::memcpy(at + 1, s.data(), s.size());
    at[s.size() + 1] = '"';
    length_ += s.size() + 2;
  }
  void escaped_string(std::string_view s);

  std::string out_;
  std::size_t length_ = 0;
  bool comma_ = false;  // a value was written at this level: the next one needs a comma
};

}  // namespace duet::http
