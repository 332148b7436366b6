// RequestParser: Beast's HTTP/1.1 request parser, writing straight into an asgi::Scope (no Beast types
// escape src/server). One parser per request; the Scope is reused across requests of a connection so its
// strings keep their capacity.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "duet/asgi/scope.hpp"
#include "duet/server/options.hpp"

namespace duet::server::detail {

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  /// Fills `scope` (method, paths, query, version, headers); other scope fields are left alone.
  RequestParser(const Limits& limits, asgi::Scope& scope);

  /// Parses a complete head (as found by scan_head). Returns 0, or the status to answer with.
  int parse_head(const char* data, std::size_t size);

  /// Chunked bodies: feeds raw bytes, appends decoded body bytes to `sink`, returns the bytes consumed.
  /// On error sets `status` (400, 413) and returns 0.
  std::size_t parse_chunked(const char* data, std::size_t size, std::string& sink, int& status);

  bool expect_continue() const noexcept { return expect_continue_; }
  bool head_request() const noexcept { return head_request_; }
  int version() const noexcept { return version_; }

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
};

}  // namespace duet::server::detail
