#include "response_head.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstring>
#include <ctime>

#include "duet/asgi/application.hpp"
#include "duet/detail/byte_words.hpp"

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
// The exact test runs only when the word test finds a control byte up to CR (a tab in a value, say): a
// byte-at-a-time loop with three compares was most of write_head's cost.
bool unsafe(std::string_view s) noexcept {
  if (!duet::detail::any_byte_below_or_in<>(s, '\r' + 1)) return false;
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

/// Gathers a head on the stack and appends it to the output at once: a std::string::append per piece
/// (about a dozen per response) cost more than the head's bytes. A head longer than the buffer is
/// appended in pieces, in order. finish() appends the rest (a head abandoned by an exception is not).
class HeadWriter {
 public:
  explicit HeadWriter(std::string& out) noexcept : out_(out) {}
  HeadWriter(const HeadWriter&) = delete;
  HeadWriter& operator=(const HeadWriter&) = delete;

  // Inline, with short pieces copied by two overlapping word moves: a head is a dozen pieces of a few
  // bytes, and a call to memcpy per piece cost more than the bytes.
  [[gnu::always_inline]] HeadWriter& operator<<(std::string_view s) {
    const std::size_t n = s.size();
    if (n > sizeof buf_ - n_) [[unlikely]] {
      flush();
      if (n > sizeof buf_) {
        out_.append(s);
        return *this;
      }
    }
    char* to = buf_ + n_;
    const char* from = s.data();
    if (n >= 8 && n <= 16) {
      std::uint64_t head, tail;
      std::memcpy(&head, from, 8);
      std::memcpy(&tail, from + n - 8, 8);
      std::memcpy(to, &head, 8);
      std::memcpy(to + n - 8, &tail, 8);
    } else if (n >= 4 && n < 8) {
      std::uint32_t head, tail;
      std::memcpy(&head, from, 4);
      std::memcpy(&tail, from + n - 4, 4);
      std::memcpy(to, &head, 4);
      std::memcpy(to + n - 4, &tail, 4);
    } else {
      std::memcpy(to, from, n);
    }
    n_ += n;
    return *this;
  }
  HeadWriter& operator<<(std::int64_t n) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    return *this << std::string_view(digits, end - digits);
  }
  void finish() { flush(); }

 private:
  void flush() {
    out_.append(buf_, n_);
    n_ = 0;
  }
  std::string& out_;
  std::size_t n_ = 0;
  char buf_[512];
};
}  // namespace

HeadPlan write_head(std::string& out, int status, const asgi::Headers& headers, std::int64_t body_length,
                    bool head_request, int http_version, bool keep_alive, std::string_view server_header) {
  if (status < 100 || status > 999) throw asgi::ProtocolError("response status out of range");
  HeadPlan plan;
  plan.keep_alive = keep_alive;
  HeadWriter head(out);
  if (status == 200 && http_version == 11) {
    head << "HTTP/1.1 200 OK\r\n";  // nearly every response
  } else {
    head << (http_version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ") << std::int64_t{status} << " "
         << reason_phrase(status) << "\r\n";
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
    head << h.name << ": " << h.value << "\r\n";
  }
  if (!has_date) head << date_header_line();
  if (!has_server && !server_header.empty()) head << "Server: " << server_header << "\r\n";
  if (status_has_no_body(status)) {
    plan.framing = Framing::none;
  } else if (plan.declared_length >= 0) {
    plan.framing = Framing::content_length;
  } else if (body_length >= 0) {
    plan.framing = Framing::content_length;
    plan.declared_length = body_length;
    head << "Content-Length: " << body_length << "\r\n";
  } else if (http_version == 11) {
    plan.framing = Framing::chunked;
    // A HEAD answer says how a GET would be framed, but carries no chunks.
    head << "Transfer-Encoding: chunked\r\n";
  } else {
    plan.framing = Framing::close_delimited;
    plan.keep_alive = false;
  }
  if (!plan.keep_alive) {
    head << "Connection: close\r\n";
  } else if (http_version == 10) {
    head << "Connection: keep-alive\r\n";
  }
  head << "\r\n";
  head.finish();
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
