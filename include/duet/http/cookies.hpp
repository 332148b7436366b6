// Cookies: parsing the Cookie header (django.http.cookie.parse_cookie) and Set-Cookie values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace duet::http {

/// Parses a Cookie header as browsers send it, leniently (Django's parse_cookie): "a=b; c" gives
/// {"a": "b", "": "c"}; values in double quotes are unquoted (octal escapes decoded); the last of equal
/// names wins.
std::map<std::string, std::string> parse_cookie(std::string_view header);

/// RFC 7231 date: "Wed, 21 Oct 2015 07:28:00 GMT".
std::string http_date(std::chrono::system_clock::time_point when);

/// The attributes of set_cookie(), Django's keyword arguments.
struct CookieOptions {
  /// Seconds; also sets `expires` when that is not given.
  std::optional<std::int64_t> max_age{};
  /// An RFC 7231 date string, or a time point (converted to max_age as Django does).
  std::variant<std::monostate, std::string, std::chrono::system_clock::time_point> expires{};
  std::string path = "/";
  std::optional<std::string> domain{};
  bool secure = false;
  bool httponly = false;
  /// "Lax", "Strict" or "None" (case-insensitive); anything else throws std::invalid_argument.
  std::optional<std::string> samesite{};
};

/// One Set-Cookie entry of a response.
struct ResponseCookie {
  std::string name;
  std::string value;
  std::string expires;
  std::optional<std::int64_t> max_age;
  std::string path;
  std::string domain;
  bool secure = false;
  bool httponly = false;
  std::string samesite;

  /// The Set-Cookie header value, attributes in Python's Morsel order:
  /// `k="v w"; Domain=d.com; expires=...; HttpOnly; Max-Age=10; Path=/p; SameSite=Lax; Secure`.
  std::string output() const;
};

/// Builds the cookie set_cookie() stores; validates the name and samesite.
ResponseCookie make_cookie(std::string_view name, std::string_view value, const CookieOptions& options);

/// Python's http.cookies quoting of a value: as is when every character is legal, else in double quotes
/// with '"' and '\\' escaped and other specials as octal escapes.
std::string cookie_quote(std::string_view value);

}  // namespace duet::http
