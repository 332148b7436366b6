// JSON text as Django writes it: compact, UTF-8, and floating-point numbers in Python's repr (1.0028, 100.0,
// 1e+20) rather than Boost.JSON's default exponent form (1.0028E0).
#pragma once

#include <boost/json/value.hpp>
#include <string>

namespace duet::http {

/// Serializes `value` compactly. Doubles use the shortest text that reads back to the same double, laid out
/// as Python's repr does (fixed between 1e-4 and 1e16, with ".0" on whole numbers; exponent form with a sign
/// and two digits outside); NaN and infinities are written NaN / Infinity / -Infinity, as json.dumps does.
std::string json_dumps(const boost::json::value& value);
/// The same for an object or an array, without first making a boost::json::value of it (a copy).
std::string json_dumps(const boost::json::object& object);
std::string json_dumps(const boost::json::array& array);

}  // namespace duet::http
