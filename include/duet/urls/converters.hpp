// Path converters (django.urls.converters): int, str, slug, uuid, path, and registerable custom ones.
#pragma once

#include <any>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/uuid/uuid.hpp>

namespace duet::urls {

/// Turns a captured URL segment into a typed value and back. to_value() and to_url() throw
/// std::invalid_argument (Django's ValueError) to say "no match" / "cannot reverse with this value".
class Converter {
 public:
  virtual ~Converter() = default;
  /// The regex (Python syntax, no capturing groups) a segment must match.
  virtual std::string regex() const = 0;
  virtual std::any to_value(std::string_view segment) const = 0;
  virtual std::string to_url(const std::any& value) const = 0;
};

/// Registers `converter` under `name` for use in routes ("<name:param>"). Register before building the
/// URL patterns that use it; a name registered twice is replaced.
void register_converter(std::string name, std::shared_ptr<const Converter> converter);
/// The converter registered under `name`, or null.
std::shared_ptr<const Converter> get_converter(std::string_view name);

/// Stringifies a reverse() argument the way Python's str() would: integers, strings, UUIDs (lower-case),
/// doubles, bools ("True"/"False"). Throws std::invalid_argument for other types.
std::string url_value_to_string(const std::any& value);

/// Python repr() of a reverse() argument, for NoReverseMatch messages ('a', 1).
std::string url_value_repr(const std::any& value);

}  // namespace duet::urls
