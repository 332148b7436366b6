#include "duet/http/json.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>

#include "duet/detail/byte_words.hpp"

namespace duet::http {

namespace {

// Python's float_repr_style 'short': the shortest round-trip digits, fixed notation for exponents in
// [-4, 16), scientific otherwise.
void append_double(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  auto e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos))
    if (c != '.') digits += c;
  int exponent = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);

  if (negative) out += '-';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out += digits;
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      out += digits;
      out.append(static_cast<std::size_t>(exponent + 1) - digits.size(), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<std::size_t>(exponent + 1));
      out += '.';
      out.append(digits, static_cast<std::size_t>(exponent + 1));
    }
    return;
  }
  out += digits.front();
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1);
  }
  out += exponent < 0 ? "e-" : "e+";
  int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) out += '0';
  out += std::to_string(magnitude);
}

// The output, sized ahead and trimmed once at the end: std::string's += checks the capacity and writes the
// terminator on every call, which for a small API object costs more than writing its text.
class Writer {
 public:
  Writer() { out_.resize(128); }  // one allocation for a typical API object

  // Room for n more bytes at the returned position; advance() says how many were written.
  char* room(std::size_t n) {
    if (out_.size() - length_ < n) out_.resize(std::max(out_.size() * 2, length_ + n));
    return out_.data() + length_;
  }
  void advance(std::size_t n) noexcept { length_ += n; }

  void put(char c) {
    *room(1) = c;
    ++length_;
  }
  void put(std::string_view s) {
    std::memcpy(room(s.size()), s.data(), s.size());
    length_ += s.size();
  }

  std::string finish() && {
    out_.resize(length_);
    return std::move(out_);
  }

 private:
  std::string out_;
  std::size_t length_ = 0;
};

// A string as Boost.JSON writes it. Most strings need no escape and are copied between quotes; any other
// goes through Boost's serializer, so the escapes are Boost's own.
void append_string(Writer& out, std::string_view s) {
  if (duet::detail::any_byte_below_or_in<'"', '\\'>(s, 0x20)) {
    out.put(boost::json::serialize(boost::json::string_view(s.data(), s.size())));
    return;
  }
  char* at = out.room(s.size() + 2);
  at[0] = '"';
  std::memcpy(at + 1, s.data(), s.size());
  at[s.size() + 1] = '"';
  out.advance(s.size() + 2);
}

template <class Integer>
void append_integer(Writer& out, Integer i) {
  char* at = out.room(24);
  auto [end, ec] = std::to_chars(at, at + 24, i);
  out.advance(static_cast<std::size_t>(end - at));
}

void append(Writer& out, const boost::json::array& array);
void append(Writer& out, const boost::json::object& object);

// Boost.JSON's compact layout (no spaces), with floats as Python writes them. Written out rather than
// handed to boost::json::serialize, whose serializer costs more to set up than a small object costs to write.
void append(Writer& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_: {
      std::string text;
      append_double(text, v.get_double());
      out.put(text);
      return;
    }
    case boost::json::kind::int64:
      append_integer(out, v.get_int64());
      return;
    case boost::json::kind::uint64:
      append_integer(out, v.get_uint64());
      return;
    case boost::json::kind::bool_:
      out.put(v.get_bool() ? "true" : "false");
      return;
    case boost::json::kind::null:
      out.put("null");
      return;
    case boost::json::kind::string:
      append_string(out, v.get_string());
      return;
    case boost::json::kind::array:
      append(out, v.get_array());
      return;
    case boost::json::kind::object:
      append(out, v.get_object());
      return;
  }
}

void append(Writer& out, const boost::json::array& array) {
  out.put('[');
  bool first = true;
  for (const auto& e : array) {
    if (!first) out.put(',');
    first = false;
    append(out, e);
  }
  out.put(']');
}

void append(Writer& out, const boost::json::object& object) {
  out.put('{');
  bool first = true;
  for (const auto& kv : object) {
    if (!first) out.put(',');
    first = false;
    append_string(out, kv.key());
    out.put(':');
    append(out, kv.value());
  }
  out.put('}');
}

template <class Json>
std::string dumps(const Json& json) {
  Writer out;
  append(out, json);
  return std::move(out).finish();
}

}  // namespace

std::string json_dumps(const boost::json::value& value) {
  return dumps(value);
}
std::string json_dumps(const boost::json::object& object) {
  return dumps(object);
}
std::string json_dumps(const boost::json::array& array) {
  return dumps(array);
}

}  // namespace duet::http
