// Percent-encoding and UTF-8 helpers with Python's urllib.parse semantics (django.utils.http / encoding).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duet::http {

/// Decodes %XX escapes (and '+' as a space when `plus_as_space`); a malformed escape is kept literally, as
/// Python's unquote does. The result is raw bytes.
std::string percent_decode(std::string_view s, bool plus_as_space = false);

/// True if `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s) noexcept;

/// `s` with every invalid UTF-8 byte replaced by U+FFFD (Python's errors="replace").
std::string to_valid_utf8(std::string_view s);

/// urllib.parse.quote: letters, digits, "_.-~" and the characters of `safe` are kept, others %XX-encoded.
std::string quote(std::string_view s, std::string_view safe = "/");

/// urllib.parse.quote_plus: as quote, with spaces as '+'.
std::string quote_plus(std::string_view s, std::string_view safe = "");

/// urllib.parse.urlencode of pairs (quote_plus on keys and values).
std::string urlencode(const std::vector<std::pair<std::string, std::string>>& pairs);

/// Django's iri_to_uri: quotes what is not allowed in a URI, keeping reserved characters and existing
/// escapes.
std::string iri_to_uri(std::string_view iri);

/// Django's escape_uri_path: quotes a path, keeping "/:@&+$,-_.!~*'()".
std::string escape_uri_path(std::string_view path);

}  // namespace duet::http
