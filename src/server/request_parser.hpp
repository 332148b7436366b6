// RequestParser: the request head into an asgi::Scope (no Beast types escape src/server). One parser per
// connection, parsing one head after another; the Scope is reused across requests of a connection so its
// strings keep their capacity.
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

#include <boost/optional/optional.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "duet/asgi/scope.hpp"
#include "duet/server/options.hpp"

namespace duet::server::detail {

class RequestParser {
 public:
  /// Fills `scope` (method, paths, query, version, headers) at each parse_head(); other scope fields are
  /// left alone, and nothing of `scope` is touched before then (a Connection builds its parser before its
  /// Scope). `fast` false always takes Beast's path (the tests compare both).
  RequestParser(const Limits& limits, asgi::Scope& scope, bool fast = true) noexcept;
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  /// Parses a complete head (as found by scan_head). Returns 0, or the status to answer with. A parser
  /// may parse one head after another: each call starts afresh (one per request of a connection, so the
  /// parser is built once per connection, not per request).
  int parse_head(const char* data, std::size_t size);

  /// Chunked bodies: feeds raw bytes, appends decoded body bytes to `sink`, returns the bytes consumed.
  /// On error sets `status` (400, 413) and returns 0.
  std::size_t parse_chunked(const char* data, std::size_t size, std::string& sink, int& status);

  bool expect_continue() const noexcept { return expect_continue_; }
  bool head_request() const noexcept { return head_request_; }
  int version() const noexcept { return version_; }

  // Beast's answers, or the fast path's (which never takes a chunked or upgrade request).
  bool keep_alive() const;
  bool chunked() const;
  bool upgrade() const;
  boost::optional<std::uint64_t> content_length() const;
  bool is_header_done() const;
  bool is_done() const;
  /// Whether the fast path parsed the head (for tests).
  bool took_fast_path() const noexcept { return fast_; }

 private:
  class Beast;  // Beast's parser, calling back into this one (request_parser.cpp)
  friend class Beast;

  /// The fast path: true if it parsed the head, false to leave it to Beast (with the Scope's headers
  /// cleared and this parser's state as at the start).
  bool parse_plain_head(const char* data, std::size_t size);
  /// Sets raw_path, query_string and the decoded path from an origin-form target; false if its percent
  /// escapes are malformed.
  bool assign_target(std::string_view target);
  void start_head() noexcept;

  const Limits& limits_;
  asgi::Scope& scope_;
  // Only for heads the fast path leaves to Beast (framing, upgrades, errors): built then, so the everyday
  // request neither builds nor touches Beast's ~100 bytes of parser state.
  std::unique_ptr<Beast> beast_;
  std::size_t header_count_ = 0;
  std::size_t host_count_ = 0;
  std::int64_t fast_length_ = -1;  // -1: no Content-Length
  int version_ = 11;
  bool expect_continue_ = false;
  bool head_request_ = false;
  bool try_fast_ = true;
  bool fast_ = false;
  bool fast_keep_alive_ = false;
};

}  // namespace duet::server::detail
