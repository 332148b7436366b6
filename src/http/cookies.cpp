#include "duet/http/cookies.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace duet::http {
namespace {

std::string_view strip(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n\f\v");
  return s.substr(b, e - b + 1);
}

bool legal_char(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~:").find(static_cast<char>(c)) != std::string_view::npos;
}

bool unescaped_char(unsigned char c) {
  return legal_char(c) ||
         std::string_view(" ()/<=>?@[]{}").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_octal(char c) {
  return c >= '0' && c <= '7';
}

// http.cookies._unquote.
std::string cookie_unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
  s = s.substr(1, s.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
    } else if (i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && is_octal(s[i + 2]) &&
               is_octal(s[i + 3])) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i + 1]);
      ++i;
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_cookie(std::string_view header) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= header.size()) {
    auto semi = header.find(';', start);
    if (semi == std::string_view::npos) semi = header.size();
    auto chunk = header.substr(start, semi - start);
    start = semi + 1;
    std::string_view key, value;
    if (auto eq = chunk.find('='); eq != std::string_view::npos) {
      key = strip(chunk.substr(0, eq));
      value = strip(chunk.substr(eq + 1));
    } else {
      // Browsers treat a bare value as a cookie with an empty name (Mozilla bug 169091).
      value = strip(chunk);
    }
    if (!key.empty() || !value.empty()) out[std::string(key)] = cookie_unquote(value);
  }
  return out;
}

std::string http_date(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string cookie_quote(std::string_view value) {
  if (!value.empty() && std::all_of(value.begin(), value.end(),
                                    [](char c) { return legal_char(static_cast<unsigned char>(c)); }))
    return std::string(value);
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x80 || unescaped_char(c)) {
      // Bytes of UTF-8 sequences pass through; Python escapes only U+0080..U+00FF, which UTF-8 cannot mirror.
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
  out += "\"";
  return out;
}

ResponseCookie make_cookie(std::string_view name, std::string_view value, const CookieOptions& options) {
  if (name.empty() || !std::all_of(name.begin(), name.end(),
                                   [](char c) { return legal_char(static_cast<unsigned char>(c)); }))
    throw std::invalid_argument("Illegal key '" + std::string(name) + "'");
  ResponseCookie c;
  c.name = name;
  c.value = value;
  auto max_age = options.max_age;
  if (auto* s = std::get_if<std::string>(&options.expires)) {
    c.expires = *s;
  } else if (auto* tp = std::get_if<std::chrono::system_clock::time_point>(&options.expires)) {
    // Django turns a datetime into max_age, rounding up to the next second.
    auto delta = std::chrono::duration_cast<std::chrono::seconds>(*tp - std::chrono::system_clock::now()) +
                 std::chrono::seconds(1);
    max_age = std::max<std::int64_t>(0, delta.count());
  }
  if (max_age) {
    c.max_age = *max_age;
    if (c.expires.empty())
      c.expires = http_date(std::chrono::system_clock::now() + std::chrono::seconds(*max_age));
  }
  c.path = options.path;
  if (options.domain) c.domain = *options.domain;
  c.secure = options.secure;
  c.httponly = options.httponly;
  if (options.samesite) {
    auto s = lower(*options.samesite);
    if (s != "lax" && s != "none" && s != "strict")
      throw std::invalid_argument("samesite must be \"lax\", \"none\", or \"strict\".");
    c.samesite = *options.samesite;
  }
  return c;
}

std::string ResponseCookie::output() const {
  std::string out = name + "=" + cookie_quote(value);
  if (!domain.empty()) out += "; Domain=" + domain;
  if (!expires.empty()) out += "; expires=" + expires;
  if (httponly) out += "; HttpOnly";
  if (max_age) out += "; Max-Age=" + std::to_string(*max_age);
  if (!path.empty()) out += "; Path=" + path;
  if (!samesite.empty()) out += "; SameSite=" + samesite;
  if (secure) out += "; Secure";
  return out;
}

}  // namespace duet::http
