#include "request_parser.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <cstring>
#include <string_view>

#include "duet/detail/byte_words.hpp"

namespace duet::server::detail {

namespace http = boost::beast::http;

namespace {
std::string_view sv(boost::beast::string_view s) noexcept {
  return {s.data(), s.size()};
}

void assign_lower(std::string& out, std::string_view in) {
  out.assign(in);  // a copy, then lower-cased in place (resize() would zero the bytes first)
  duet::detail::lower_ascii_in_place(out.data(), out.size());
}
}  // namespace

class RequestParser::Beast final : public http::basic_parser<true> {
 public:
  explicit Beast(RequestParser& owner) : owner_(owner) {
    header_limit(
        static_cast<std::uint32_t>(owner.limits_.max_request_line + owner.limits_.max_header_bytes + 8));
    body_limit(owner.limits_.max_body);
    eager(false);
  }

  int parse_head(const char* data, std::size_t size);
  std::size_t parse_chunked(const char* data, std::size_t size, std::string& sink, int& status);

 private:
  void on_request_impl(http::verb method, boost::beast::string_view method_str,
                       boost::beast::string_view target, int version, boost::beast::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(http::field name, boost::beast::string_view name_string, boost::beast::string_view value,
                     boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::beast::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                 boost::beast::error_code&) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  int fail(boost::beast::error_code& ec, int status);
  int status_for(const boost::beast::error_code& ec) const;

  RequestParser& owner_;
  std::string* sink_ = nullptr;
  int status_ = 0;
};

RequestParser::RequestParser(const Limits& limits, asgi::Scope& scope, bool fast) noexcept
    : limits_(limits), scope_(scope), try_fast_(fast) {}

RequestParser::~RequestParser() = default;

void RequestParser::start_head() noexcept {
  beast_.reset();
  scope_.headers.clear();
  header_count_ = host_count_ = 0;
  fast_length_ = -1;
  version_ = 11;
  expect_continue_ = head_request_ = fast_ = fast_keep_alive_ = false;
}

int RequestParser::parse_head(const char* data, std::size_t size) {
  start_head();
  if (try_fast_ && parse_plain_head(data, size)) return 0;
  beast_ = std::make_unique<Beast>(*this);
  return beast_->parse_head(data, size);
}

std::size_t RequestParser::parse_chunked(const char* data, std::size_t size, std::string& sink, int& status) {
  if (!beast_) return 0;  // the fast path takes no chunked head: nothing to decode
  return beast_->parse_chunked(data, size, sink, status);
}

bool RequestParser::keep_alive() const {
  return beast_ ? beast_->keep_alive() : fast_keep_alive_;
}
bool RequestParser::chunked() const {
  return beast_ && beast_->chunked();
}
bool RequestParser::upgrade() const {
  return beast_ && beast_->upgrade();
}
boost::optional<std::uint64_t> RequestParser::content_length() const {
  if (beast_) return beast_->content_length();
  if (fast_length_ < 0) return boost::none;
  return static_cast<std::uint64_t>(fast_length_);
}
bool RequestParser::is_header_done() const {
  return !beast_ || beast_->is_header_done();
}
bool RequestParser::is_done() const {
  return !beast_ || beast_->is_done();
}

int RequestParser::Beast::fail(boost::beast::error_code& ec, int status) {
  status_ = status;
  ec = http::error::bad_value;
  return status;
}

int RequestParser::Beast::status_for(const boost::beast::error_code& ec) const {
  if (status_) return status_;
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit) return 431;
  return 400;
}

int RequestParser::Beast::parse_head(const char* data, std::size_t size) {
  boost::beast::error_code ec;
  put(boost::asio::buffer(data, size), ec);
  if (ec == http::error::bad_version) {
    // A well-formed HTTP/2.0 or HTTP/3.0 here is a version we do not speak (505); anything else is 400.
    std::string_view line(data, std::min<std::size_t>(size, owner_.limits_.max_request_line + 2));
    line = line.substr(0, line.find('\r'));
    if (line.size() >= 8 && line.substr(line.size() - 8, 5) == "HTTP/" && line[line.size() - 3] >= '2' &&
        line[line.size() - 3] <= '9' && line[line.size() - 2] == '.') {
      return 505;
    }
  }
  if (ec) return status_for(ec);
  if (!is_header_done()) return 400;
  return 0;
}

std::size_t RequestParser::Beast::parse_chunked(const char* data, std::size_t size, std::string& sink,
                                                int& status) {
  sink_ = &sink;
  std::size_t used = 0;
  // Beast consumes one chunk element per call; loop until it needs more input.
  while (used < size && !is_done()) {
    boost::beast::error_code ec;
    std::size_t n = put(boost::asio::buffer(data + used, size - used), ec);
    used += n;
    if (ec == http::error::need_more) break;
    if (ec) {
      status = status_for(ec);
      sink_ = nullptr;
      return 0;
    }
    if (n == 0) break;
  }
  sink_ = nullptr;
  return used;
}

namespace {
// RFC 9110 tchar: what a method and a field name are made of (Beast's tables for both say the same).
constexpr bool tchar_table_entry(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
struct TcharTable {
  bool is[256];
  constexpr TcharTable() : is() {
    for (int c = 0; c < 256; ++c)
      is[c] = tchar_table_entry(static_cast<unsigned char>(c));
  }
};
constexpr TcharTable tchar;

bool is_tchar(char c) noexcept {
  return tchar.is[static_cast<unsigned char>(c)];
}
// Eight bytes at a time: whether any byte of `word` is below `low` or above `high` (the word tests of "has
// a byte less than n" and "more than n", exact for the whole word; low <= 128, high < 128).
template <unsigned low, unsigned high>
bool word_has_outside(std::uint64_t word) noexcept {
  using duet::detail::kByteHighs, duet::detail::kByteOnes;
  const std::uint64_t above = ((word + kByteOnes * (127 - high)) | word) & kByteHighs;
  return (duet::detail::word_has_less(word, low) | above) != 0;
}

// Skips visible ASCII (0x21-0x7E): the bytes of a target the fast path takes (Beast also takes obs-text;
// such targets go to Beast). Returns the first other byte.
const char* skip_target(const char* p, const char* end) noexcept {
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    if (word_has_outside<0x21, 0x7e>(word)) break;
    p += 8;
  }
  while (p < end && (*p > 0x20 && *p < 0x7f))
    ++p;
  return p;
}

// Skips the bytes of a value the fast path takes: visible ASCII, space and tab.
const char* skip_value(const char* p, const char* end) noexcept {
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    if (word_has_outside<0x20, 0x7e>(word)) break;
    p += 8;
  }
  while (p < end && ((*p >= 0x20 && *p < 0x7f) || *p == '\t'))
    ++p;
  return p;
}

void assign_if_changed(std::string& out, std::string_view value) {
  // A connection's Scope keeps the last request's strings: most requests repeat the method and version.
  // Short strings: a byte loop beats a call to memcmp.
  if (out.size() == value.size()) {
    std::size_t i = 0;
    while (i < value.size() && out[i] == value[i])
      ++i;
    if (i == value.size()) return;
  }
  out.assign(value);
}
}  // namespace

bool RequestParser::assign_target(std::string_view target) {
  std::size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  scope_.raw_path.assign(raw_path);
  if (q == std::string_view::npos) {
    scope_.query_string.clear();
  } else {
    scope_.query_string.assign(target.substr(q + 1));
  }
  if (raw_path.find('%') == std::string_view::npos) {
    scope_.path.assign(raw_path);
  } else if (auto decoded = asgi::percent_decode_path(raw_path)) {
    scope_.path = std::move(*decoded);
  } else {
    return false;
  }
  return true;
}

bool RequestParser::parse_plain_head(const char* data, std::size_t size) {
  // scan_head passed the head: every line ends in CRLF, no bare CR or LF, no obs-fold, the last line is
  // empty, the request line and the fields are within their limits.
  const char* p = data;
  const char* const end = data + size;
  auto give_up = [this] {
    start_head();
    return false;
  };

  // Request line: method SP origin-form-target SP HTTP/1.x CRLF.
  const char* method = p;
  while (p < end && is_tchar(*p))
    ++p;
  if (p == method || p == end || *p != ' ') return give_up();
  std::string_view method_sv(method, p - method);
  const char* target = ++p;
  p = skip_target(p, end);
  if (p == target || *target != '/' || end - p < 11 || *p != ' ') return give_up();
  std::string_view target_sv(target, p - target);
  ++p;
  if (std::memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != '\r' || p[9] != '\n') {
    return give_up();
  }
  version_ = p[7] == '1' ? 11 : 10;
  p += 10;
  head_request_ = method_sv == "HEAD";
  assign_if_changed(scope_.method, method_sv);
  assign_if_changed(scope_.http_version, version_ == 11 ? "1.1" : "1.0");
  if (!assign_target(target_sv)) return give_up();

  // Fields: name ":" OWS value OWS CRLF, until the empty line.
  bool close = false, keep_alive = false;
  std::int64_t length = -1;
  for (;;) {
    if (end - p < 2) return give_up();
    if (p[0] == '\r') break;  // the empty line (scan_head: its LF follows)
    const char* name = p;
    while (p < end && is_tchar(*p))
      ++p;
    if (p == name || p == end || *p != ':') return give_up();
    const std::size_t name_length = static_cast<std::size_t>(p - name);
    ++p;
    while (p < end && (*p == ' ' || *p == '\t'))
      ++p;
    const char* value = p;
    p = skip_value(p, end);
    if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return give_up();
    const char* value_end = p;
    while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
      --value_end;
    p += 2;
    if (++header_count_ > limits_.max_header_count) return give_up();

    auto& header = scope_.headers.emplace_back();
    assign_lower(header.name, std::string_view(name, name_length));
    header.value.assign(value, value_end);
    const std::string_view lower = header.name;
    const std::string_view v(value, value_end - value);
    switch (lower.size()) {
      case 4:
        if (lower == "host") ++host_count_;
        break;
      case 6:
        if (lower == "expect") return give_up();
        break;
      case 7:
        if (lower == "upgrade") return give_up();
        break;
      case 10:
      case 16:
        if (lower == "connection" || lower == "proxy-connection") {
          if (boost::beast::iequals(v, "close")) {
            close = true;
          } else if (boost::beast::iequals(v, "keep-alive")) {
            keep_alive = true;
          } else {
            return give_up();  // lists, upgrade, anything else: Beast's token-list rules
          }
        }
        break;
      case 14:
        if (lower == "content-length") {
          if (length >= 0 || v.empty() || v.size() > 18) return give_up();
          std::int64_t n = 0;
          for (char c : v) {
            if (c < '0' || c > '9') return give_up();
            n = n * 10 + (c - '0');
          }
          if (static_cast<std::uint64_t>(n) > limits_.max_body) return give_up();  // Beast: 413
          length = n;
        }
        break;
      case 17:
        if (lower == "transfer-encoding") return give_up();
        break;
      default:
        break;
    }
  }
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1 (Beast's path answers 400 otherwise).
  if (host_count_ > 1 || (version_ == 11 && host_count_ == 0)) return give_up();
  fast_ = true;
  fast_keep_alive_ = version_ == 11 ? !close : keep_alive;
  fast_length_ = length;
  return true;
}

void RequestParser::Beast::on_request_impl(http::verb method, boost::beast::string_view method_str,
                                           boost::beast::string_view target_bv, int version,
                                           boost::beast::error_code& ec) {
  if (version != 10 && version != 11) {
    fail(ec, 505);
    return;
  }
  owner_.version_ = version;
  owner_.head_request_ = method == http::verb::head;
  owner_.scope_.method.assign(method_str.data(), method_str.size());
  owner_.scope_.http_version = version == 11 ? "1.1" : "1.0";
  std::string_view target = sv(target_bv);
  // absolute-form (RFC 9112 §3.2.2): a server must accept it; the authority is the Host.
  if (target.starts_with("http://") || target.starts_with("https://")) {
    std::size_t authority = target.find("//") + 2;
    std::size_t slash = target.find_first_of("/?", authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    if (target.front() == '?') {
      fail(ec, 400);
      return;
    }
  } else if (target == "*") {
    if (method != http::verb::options) {
      fail(ec, 400);
      return;
    }
  } else if (target.empty() || target.front() != '/') {
    fail(ec, 400);
    return;
  }
  if (!owner_.assign_target(target)) fail(ec, 400);
}

void RequestParser::Beast::on_field_impl(http::field name, boost::beast::string_view name_string,
                                         boost::beast::string_view value, boost::beast::error_code& ec) {
  if (++owner_.header_count_ > owner_.limits_.max_header_count) {
    fail(ec, 431);
    return;
  }
  switch (name) {
    case http::field::host:
      ++owner_.host_count_;
      break;
    case http::field::transfer_encoding: {
      // RFC 9112 §6.1: HTTP/1.0 has no Transfer-Encoding; a request whose final coding is not chunked has
      // no knowable length. Both are smuggling vectors: 400.
      if (owner_.version_ == 10) {
        fail(ec, 400);
        return;
      }
      http::token_list tokens{value};
      std::string_view last;
      for (auto token : tokens)
        last = sv(token);
      if (!boost::beast::iequals(last, "chunked")) {
        fail(ec, 400);
        return;
      }
      break;
    }
    case http::field::expect:
      if (boost::beast::iequals(value, "100-continue")) {
        owner_.expect_continue_ = owner_.version_ == 11;
      } else {
        fail(ec, 417);
        return;
      }
      break;
    default:
      break;
  }
  auto& headers = owner_.scope_.headers;
  headers.emplace_back();
  assign_lower(headers.back().name, sv(name_string));
  headers.back().value.assign(value.data(), value.size());
}

void RequestParser::Beast::on_header_impl(boost::beast::error_code& ec) {
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
  if (owner_.host_count_ > 1 || (owner_.version_ == 11 && owner_.host_count_ == 0)) fail(ec, 400);
}

std::size_t RequestParser::Beast::on_body_impl(boost::beast::string_view body, boost::beast::error_code&) {
  if (sink_) sink_->append(body.data(), body.size());
  return body.size();
}

std::size_t RequestParser::Beast::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                                     boost::beast::error_code&) {
  if (sink_) sink_->append(body.data(), body.size());
  return body.size();
}

}  // namespace duet::server::detail
