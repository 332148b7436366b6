#include "request_parser.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <string_view>

namespace duet::server::detail {

namespace http = boost::beast::http;

namespace {
std::string_view sv(boost::beast::string_view s) noexcept {
  return {s.data(), s.size()};
}

void assign_lower(std::string& out, std::string_view in) {
  out.resize(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
}
}  // namespace

RequestParser::RequestParser(const Limits& limits, asgi::Scope& scope) : limits_(limits), scope_(scope) {
  header_limit(static_cast<std::uint32_t>(limits.max_request_line + limits.max_header_bytes + 8));
  body_limit(limits.max_body);
  eager(false);
  scope_.headers.clear();
}

int RequestParser::fail(boost::beast::error_code& ec, int status) {
  status_ = status;
  ec = http::error::bad_value;
  return status;
}

int RequestParser::status_for(const boost::beast::error_code& ec) const {
  if (status_) return status_;
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit) return 431;
  return 400;
}

int RequestParser::parse_head(const char* data, std::size_t size) {
  boost::beast::error_code ec;
  put(boost::asio::buffer(data, size), ec);
  if (ec == http::error::bad_version) {
    // A well-formed HTTP/2.0 or HTTP/3.0 here is a version we do not speak (505); anything else is 400.
    std::string_view line(data, std::min<std::size_t>(size, limits_.max_request_line + 2));
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

std::size_t RequestParser::parse_chunked(const char* data, std::size_t size, std::string& sink, int& status) {
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

void RequestParser::on_request_impl(http::verb method, boost::beast::string_view method_str,
                                    boost::beast::string_view target_bv, int version,
                                    boost::beast::error_code& ec) {
  if (version != 10 && version != 11) {
    fail(ec, 505);
    return;
  }
  version_ = version;
  head_request_ = method == http::verb::head;
  scope_.method.assign(method_str.data(), method_str.size());
  scope_.http_version = version == 11 ? "1.1" : "1.0";
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
    fail(ec, 400);
  }
}

void RequestParser::on_field_impl(http::field name, boost::beast::string_view name_string,
                                  boost::beast::string_view value, boost::beast::error_code& ec) {
  if (++header_count_ > limits_.max_header_count) {
    fail(ec, 431);
    return;
  }
  switch (name) {
    case http::field::host:
      ++host_count_;
      break;
    case http::field::transfer_encoding: {
      // RFC 9112 §6.1: HTTP/1.0 has no Transfer-Encoding; a request whose final coding is not chunked has
      // no knowable length. Both are smuggling vectors: 400.
      if (version_ == 10) {
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
        expect_continue_ = version_ == 11;
      } else {
        fail(ec, 417);
        return;
      }
      break;
    default:
      break;
  }
  auto& headers = scope_.headers;
  headers.emplace_back();
  assign_lower(headers.back().name, sv(name_string));
  headers.back().value.assign(value.data(), value.size());
}

void RequestParser::on_header_impl(boost::beast::error_code& ec) {
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
  if (host_count_ > 1 || (version_ == 11 && host_count_ == 0)) fail(ec, 400);
}

std::size_t RequestParser::on_body_impl(boost::beast::string_view body, boost::beast::error_code&) {
  if (sink_) sink_->append(body.data(), body.size());
  return body.size();
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                              boost::beast::error_code&) {
  if (sink_) sink_->append(body.data(), body.size());
  return body.size();
}

}  // namespace duet::server::detail
