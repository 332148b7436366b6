#include "duet/http/json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>

#include "duet/http/json_writer.hpp"

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

}  // namespace

void JsonWriter::grow(std::size_t n) {
  out_.resize(std::max(out_.size() * 2, length_ + n));
}

// Escaped as Boost.JSON escapes, by Boost's own serializer.
void JsonWriter::escaped_string(std::string_view s) {
  std::string escaped = boost::json::serialize(boost::json::string_view(s.data(), s.size()));
  std::memcpy(room(escaped.size()), escaped.data(), escaped.size());
  length_ += escaped.size();
}

JsonWriter& JsonWriter::value(double d) {
  std::string text;
  append_double(text, d);
  return literal(text);
}

// Boost.JSON's compact layout (no spaces), with floats as Python writes them. Written out rather than
// handed to boost::json::serialize, whose serializer costs more to set up than a small object costs to write.
JsonWriter& JsonWriter::value(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return value(v.get_double());
    case boost::json::kind::int64:
      return value(v.get_int64());
    case boost::json::kind::uint64:
      return value(v.get_uint64());
    case boost::json::kind::bool_:
      return value(v.get_bool());
    case boost::json::kind::null:
      return value(nullptr);
    case boost::json::kind::string: {
      const auto& s = v.get_string();
      return value(std::string_view(s.data(), s.size()));
    }
    case boost::json::kind::array:
      return value(v.get_array());
    case boost::json::kind::object:
      return value(v.get_object());
  }
  return *this;
}

JsonWriter& JsonWriter::value(const boost::json::array& array) {
  begin_array();
  for (const auto& e : array)
    value(e);
  return end_array();
}

JsonWriter& JsonWriter::value(const boost::json::object& object) {
  begin_object();
  for (const auto& kv : object) {
    key(std::string_view(kv.key().data(), kv.key().size()));
    value(kv.value());
  }
  return end_object();
}

namespace {
template <class Json>
std::string dumps(const Json& json) {
  JsonWriter out;
  out.value(json);
  return std::move(out).str();
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
