#include "duet/http/json.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <string_view>

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

// A string as Boost.JSON writes it. Most strings need no escape and are copied between quotes; any other
// goes through Boost's serializer, so the escapes are Boost's own.
void append_string(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == '"' || c == '\\') {
      out += boost::json::serialize(boost::json::string_view(s.data(), s.size()));
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

template <class Integer>
void append_integer(std::string& out, Integer i) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, end);
}

void append(std::string& out, const boost::json::array& array);
void append(std::string& out, const boost::json::object& object);

// Boost.JSON's compact layout (no spaces), with floats as Python writes them. Written out rather than
// handed to boost::json::serialize, whose serializer costs more to set up than a small object costs to write.
void append(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      append_double(out, v.get_double());
      return;
    case boost::json::kind::int64:
      append_integer(out, v.get_int64());
      return;
    case boost::json::kind::uint64:
      append_integer(out, v.get_uint64());
      return;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::null:
      out += "null";
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

void append(std::string& out, const boost::json::array& array) {
  out += '[';
  bool first = true;
  for (const auto& e : array) {
    if (!first) out += ',';
    first = false;
    append(out, e);
  }
  out += ']';
}

void append(std::string& out, const boost::json::object& object) {
  out += '{';
  bool first = true;
  for (const auto& kv : object) {
    if (!first) out += ',';
    first = false;
    append_string(out, kv.key());
    out += ':';
    append(out, kv.value());
  }
  out += '}';
}

template <class Json>
std::string dumps(const Json& json) {
  std::string out;
  out.reserve(128);  // one allocation for a typical API object instead of growing from the inline 15 bytes
  append(out, json);
  return out;
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
