#include "response_head.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstring>
#include <ctime>

#include "duet/asgi/application.hpp"

namespace duet::server::detail {

std::string_view date_header_line() noexcept {
  struct Cache {
    std::time_t second = -1;
    char line[64];
    std::size_t length = 0;
  };
  thread_local Cache cache;
  std::time_t now = std::time(nullptr);
  if (now != cache.second) {
    std::tm tm;
    gmtime_r(&now, &tm);
    cache.length = std::strftime(cache.line, sizeof cache.line, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    cache.second = now;
  }
  return {cache.line, cache.length};
}

std::string_view reason_phrase(int status) noexcept {
  auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  if (reason.empty() || reason == "<unknown-status>") return "Unknown";
  return {reason.data(), reason.size()};
}

bool status_has_no_body(int status) noexcept {
  return status < 200 || status == 204 || status == 304;
}

namespace {
bool unsafe(std::string_view s) noexcept {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

void append_number(std::string& out, std::int64_t n) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}
}  // namespace

HeadPlan write_head(std::string& out, int status, const asgi::Headers& headers, std::int64_t body_length,
                    bool head_request, int http_version, bool keep_alive, std::string_view server_header) {
  if (status < 100 || status > 999) throw asgi::ProtocolError("response status out of range");
  HeadPlan plan;
  plan.keep_alive = keep_alive;
  if (status == 200 && http_version == 11) {
    out.append("HTTP/1.1 200 OK\r\n");  // nearly every response
  } else {
    out.append(http_version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    append_number(out, status);
    out.push_back(' ');
    out.append(reason_phrase(status));
    out.append("\r\n");
  }
  bool has_date = false, has_server = false;
  for (const auto& h : headers) {
    if (h.name.empty() || unsafe(h.name) || unsafe(h.value)) {
      throw asgi::ProtocolError("response header with an empty name or a CR, LF or NUL");
    }
    // Names from applications may be in any case; compare without regard to it, and only names of a
    // length that can match (most headers are none of these).
    switch (h.name.size()) {
      case 14:
        if (boost::beast::iequals(h.name, "content-length")) {
          std::int64_t n = -1;
          auto [p, ec] = std::from_chars(h.value.data(), h.value.data() + h.value.size(), n);
          if (ec != std::errc{} || p != h.value.data() + h.value.size() || n < 0) {
            throw asgi::ProtocolError("invalid Content-Length in the response");
          }
          plan.declared_length = n;
        }
        break;
      case 17:
        // The server frames the body itself; a second framing would corrupt it.
        if (boost::beast::iequals(h.name, "transfer-encoding")) continue;
        break;
      case 10:
        if (boost::beast::iequals(h.name, "connection")) {
          if (boost::beast::iequals(h.value, "close")) plan.keep_alive = false;
          continue;
        }
        break;
      case 4:
        if (boost::beast::iequals(h.name, "date")) has_date = true;
        break;
      case 6:
        if (boost::beast::iequals(h.name, "server")) has_server = true;
        break;
      default:
        break;
    }
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
  if (!has_date) out.append(date_header_line());
  if (!has_server && !server_header.empty()) {
    out.append("Server: ");
    out.append(server_header);
    out.append("\r\n");
  }
  if (status_has_no_body(status)) {
    plan.framing = Framing::none;
  } else if (plan.declared_length >= 0) {
    plan.framing = Framing::content_length;
  } else if (body_length >= 0) {
    plan.framing = Framing::content_length;
    plan.declared_length = body_length;
    out.append("Content-Length: ");
    append_number(out, body_length);
    out.append("\r\n");
  } else if (http_version == 11) {
    plan.framing = Framing::chunked;
    // A HEAD answer says how a GET would be framed, but carries no chunks.
    out.append("Transfer-Encoding: chunked\r\n");
  } else {
    plan.framing = Framing::close_delimited;
    plan.keep_alive = false;
  }
  if (!plan.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (http_version == 10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (head_request) plan.framing = Framing::none;
  return plan;
}

void write_error(std::string& out, int status, std::string_view server_header) {
  std::string_view reason = reason_phrase(status);
  out.append("HTTP/1.1 ");
  append_number(out, status);
  out.push_back(' ');
  out.append(reason);
  out.append("\r\n");
  out.append(date_header_line());
  if (!server_header.empty()) {
    out.append("Server: ");
    out.append(server_header);
    out.append("\r\n");
  }
  out.append("Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ");
  append_number(out, static_cast<std::int64_t>(reason.size() + 1));
  out.append("\r\n\r\n");
  out.append(reason);
  out.push_back('\n');
}

}  // namespace duet::server::detail
