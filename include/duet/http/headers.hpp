// Case-insensitive header maps: request headers (django.http.request.HttpHeaders) and response headers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duet::http {

/// ASCII lower case: header names are ASCII tokens, and std::tolower would consult the C locale per byte.
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality of header names.
bool header_name_equal(std::string_view a, std::string_view b) noexcept;

/// The request's headers, looked up case-insensitively; '_' in a lookup key stands for '-' (so
/// headers.get("user_agent") works, as in Django's templates). Repeated headers are joined with ","
/// (cookies with "; "), as Django's ASGI handler does.
class HttpHeaders {
 public:
  HttpHeaders() = default;
  /// From the raw pairs the server received, in order. Names are stored lower-case. Names containing '_'
  /// are dropped: they would be indistinguishable from '-' in META and allow spoofing (as runserver does).
  explicit HttpHeaders(const std::vector<std::pair<std::string, std::string>>& raw);
  /// The same, taking the strings over.
  explicit HttpHeaders(std::vector<std::pair<std::string, std::string>>&& raw);

  std::optional<std::string> get(std::string_view name) const;
  std::string get(std::string_view name, std::string fallback) const;
  /// Throws std::out_of_range when absent.
  const std::string& operator[](std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  std::size_t size() const noexcept { return items_.size(); }
  /// (lower-case name, joined value) in first-seen order.
  const std::vector<std::pair<std::string, std::string>>& items() const noexcept { return items_; }

  /// "user-agent" -> "HTTP_USER_AGENT"; content-type/length have no HTTP_ prefix, as in CGI.
  static std::string to_meta_key(std::string_view name);

 private:
  const std::string* find(std::string_view name) const;
  void add(std::string name, std::string value);
  std::vector<std::pair<std::string, std::string>> items_;
};

/// The response's headers: case-insensitive, the name's case as first set, insertion order kept.
/// Setting a value containing CR or LF throws BadHeaderError.
class ResponseHeaders {
 public:
  void set(std::string_view name, std::string_view value);
  /// Sets only if absent.
  void setdefault(std::string_view name, std::string_view value);
  std::optional<std::string> get(std::string_view name) const;
  const std::string& operator[](std::string_view name) const;
  bool contains(std::string_view name) const;
  bool erase(std::string_view name);
  std::size_t size() const noexcept { return items_.size(); }
  const std::vector<std::pair<std::string, std::string>>& items() const noexcept { return items_; }
  /// Moves the (name, value) pairs out, leaving no header (for the handler handing a finished response to
  /// the server).
  std::vector<std::pair<std::string, std::string>> take_items() &&;

 private:
  const std::string* find(std::string_view name) const;
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace duet::http
