// QueryDict: the parsed query string or form body (django.http.QueryDict).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "duet/http/multivaluedict.hpp"

namespace duet::http {

/// A MultiValueDict of strings parsed from "a=1&a=2&b=3". Instances made by the request (GET, POST) are
/// immutable; copy() gives a mutable one. Keys and values are UTF-8 (invalid bytes become U+FFFD).
class QueryDict : public MultiValueDict<std::string> {
 public:
  /// An empty, mutable QueryDict.
  QueryDict() = default;

  /// Parses `query` with Django's rules: pairs split on '&' (not ';'), '+' is a space, %XX decoded
  /// (malformed escapes kept), a pair without '=' has value "", empty pairs skipped. More than
  /// `fields_limit` fields (counted as '&' + 1, as Python does) throws TooManyFieldsSent. The limit
  /// defaults to the current settings' DATA_UPLOAD_MAX_NUMBER_FIELDS.
  explicit QueryDict(std::string_view query, bool is_mutable = false);
  QueryDict(std::string_view query, bool is_mutable, std::optional<std::size_t> fields_limit);

  bool is_mutable() const noexcept { return mutable_; }
  /// A mutable deep copy.
  QueryDict copy() const;
  /// Makes this instance immutable (used by the request once GET/POST are built).
  void freeze() noexcept { mutable_ = false; }

  /// The query string: quote_plus on keys and values, or quote(…, safe) when `safe` is given.
  std::string urlencode(std::optional<std::string_view> safe = std::nullopt) const;

  /// A mutable QueryDict with every key of `keys` set to `value`.
  static QueryDict fromkeys(const std::vector<std::string>& keys, const std::string& value = "");
};

}  // namespace duet::http
