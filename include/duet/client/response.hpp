// Response: what a server answered, read in full (or, for StreamingResponse, head first and body on demand).
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/runtime/task.hpp"

namespace duet::client {

/// Header fields in the order received, names as sent, repeated names kept.
using Headers = std::vector<std::pair<std::string, std::string>>;

/// The first value of `name` (any case) in `headers`, or nullopt.
std::optional<std::string> find_header(const Headers& headers, std::string_view name);

class Response {
 public:
  int status_code = 0;
  std::string reason_phrase;
  /// "HTTP/1.1" or "HTTP/1.0".
  std::string http_version;
  Headers headers;
  /// The body, de-chunked.
  std::string content;
  /// The request that got this answer: method and absolute URL (after redirects, the last one).
  std::string method;
  std::string url;
  /// Redirect responses followed to get here, oldest first (httpx's response.history).
  std::vector<Response> history;

  std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
  /// The body as text (duet does not transcode: the bytes as received).
  const std::string& text() const noexcept { return content; }
  /// The body parsed as JSON; throws DecodingError when it is not JSON.
  boost::json::value json() const;

  bool is_informational() const noexcept { return status_code >= 100 && status_code < 200; }
  bool is_success() const noexcept { return status_code >= 200 && status_code < 300; }
  bool is_redirect() const noexcept;
  bool is_client_error() const noexcept { return status_code >= 400 && status_code < 500; }
  bool is_server_error() const noexcept { return status_code >= 500 && status_code < 600; }
  bool is_error() const noexcept { return status_code >= 400 && status_code < 600; }

  /// Throws HTTPStatusError for a 4xx or 5xx status; returns the response otherwise, so calls chain:
  /// `auto data = (co_await client.get(url)).raise_for_status().json();`
  const Response& raise_for_status() const;
};

namespace detail {
class ClientCore;
struct StreamState;
}  // namespace detail

/// A response whose body is read piece by piece as it arrives (httpx's `client.stream(...)`): for large
/// downloads and server-sent events. The connection goes back to the pool once the body has been read to its
/// end; closing (or destroying) it earlier closes the connection.
class StreamingResponse {
 public:
  int status_code = 0;
  std::string reason_phrase;
  std::string http_version;
  Headers headers;
  std::string method;
  std::string url;

  StreamingResponse();
  StreamingResponse(StreamingResponse&&) noexcept;
  StreamingResponse& operator=(StreamingResponse&&) noexcept;
  ~StreamingResponse();

  std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
  /// The next piece of the body as it came off the wire (at most 64 KiB), or nullopt at its end.
  Task<std::optional<std::string>> anext_chunk();
  /// The rest of the body, subject to the client's max_response_size.
  Task<std::string> aread();
  /// Blocking twins, for streams opened by the sync Client (ensure_sync_context applies).
  std::optional<std::string> next_chunk();
  std::string read();
  /// True once the whole body has been read.
  bool is_complete() const noexcept;
  /// Gives the connection up (closed unless the body was read to its end). Idempotent.
  void close();

 private:
  friend class detail::ClientCore;
  std::unique_ptr<detail::StreamState> state_;
};

}  // namespace duet::client
