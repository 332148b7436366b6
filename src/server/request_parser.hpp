// RequestParser: the request head into an asgi::Scope (no Beast types escape src/server). One parser per
// request; the Scope is reused across requests of a connection so its strings keep their capacity.
//
// Two paths, one result. A head of the plain everyday shape (origin-form target, HTTP/1.0 or 1.1, token
// names, printable ASCII values, at most one Content-Length of digits, Connection exactly close or
// keep-alive, exactly one Host where required, no Transfer-Encoding, Upgrade or Expect) is parsed by a
// single pass here. Anything else, every error included, is parsed by Beast's parser as before: the fast
// path never answers a status of its own, so each smuggling defence and limit keeps its one implementation.
// Beast's path cost ~1,400 instructions per request (a virtual call per field, a field-name hash), about a
// fifth of the server's user-space work. tests/server/request_parser_test.cpp checks that both paths give
// the same Scope and framing for the heads the fast path takes.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "duet/asgi/scope.hpp"
#include "duet/server/options.hpp"

namespace duet::server::detail {

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  /// Fills `scope` (method, paths, query, version, headers); other scope fields are left alone. `fast`
  /// false always takes Beast's path (the tests compare both).
  RequestParser(const Limits& limits, asgi::Scope& scope, bool fast = true);

  /// Parses a complete head (as found by scan_head). Returns 0, or the status to answer with.
  int parse_head(const char* data, std::size_t size);

  /// Chunked bodies: feeds raw bytes, appends decoded body bytes to `sink`, returns the bytes consumed.
  /// On error sets `status` (400, 413) and returns 0.
  std::size_t parse_chunked(const char* data, std::size_t size, std::string& sink, int& status);

  bool expect_continue() const noexcept { return expect_continue_; }
  bool head_request() const noexcept { return head_request_; }
  int version() const noexcept { return version_; }

  // Beast's answers, or the fast path's (which never takes a chunked or upgrade request).
  bool keep_alive() const { return fast_ ? fast_keep_alive_ : basic_parser::keep_alive(); }
  bool chunked() const { return !fast_ && basic_parser::chunked(); }
  bool upgrade() const { return !fast_ && basic_parser::upgrade(); }
  boost::optional<std::uint64_t> content_length() const {
    if (!fast_) return basic_parser::content_length();
    if (fast_length_ < 0) return boost::none;
    return static_cast<std::uint64_t>(fast_length_);
  }
  bool is_header_done() const { return fast_ || basic_parser::is_header_done(); }
  bool is_done() const { return fast_ || basic_parser::is_done(); }
  /// Whether the fast path parsed the head (for tests).
  bool took_fast_path() const noexcept { return fast_; }

 private:
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_str,
                       boost::beast::string_view target, int version, boost::beast::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::beast::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                 boost::beast::error_code&) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  int fail(boost::beast::error_code& ec, int status);
  /// The fast path: true if it parsed the head, false to leave it to Beast (with the Scope's headers
  /// cleared and this parser's state as constructed).
  bool parse_plain_head(const char* data, std::size_t size);
  /// Sets raw_path, query_string and the decoded path from an origin-form target; false if its percent
  /// escapes are malformed.
  bool assign_target(std::string_view target);
  int status_for(const boost::beast::error_code& ec) const;

  const Limits& limits_;
  asgi::Scope& scope_;
  std::string* sink_ = nullptr;
  std::size_t header_count_ = 0;
  std::size_t host_count_ = 0;
  int version_ = 11;
  int status_ = 0;
  bool expect_continue_ = false;
  bool head_request_ = false;
  bool try_fast_ = true;
  bool fast_ = false;
  bool fast_keep_alive_ = false;
  std::int64_t fast_length_ = -1;  // -1: no Content-Length
};

}  // namespace duet::server::detail
