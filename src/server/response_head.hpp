// Writing response heads: status line, Date (cached per thread, refreshed each second), Server, framing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "duet/asgi/scope.hpp"

namespace duet::server::detail {

/// "Date: Tue, 15 Nov 1994 08:12:31 GMT\r\n" for the current second (formatted once a second per thread).
std::string_view date_header_line() noexcept;

/// "OK", "Not Found", ... ("Unknown" for codes without one).
std::string_view reason_phrase(int status) noexcept;

/// How the body is framed on the wire.
enum class Framing { none, content_length, chunked, close_delimited };

struct HeadPlan {
  Framing framing = Framing::none;
  bool keep_alive = true;
  /// The length the application declared (Content-Length), if any.
  std::int64_t declared_length = -1;
};

/// Appends the head to `out`. `body_length` is the body's size when the whole body is in hand (-1 when it
/// will stream). Returns the plan the body writer follows. Throws asgi::ProtocolError for a header name or
/// value that would split the response (CR, LF, NUL) or a status outside 100..999.
HeadPlan write_head(std::string& out, int status, const asgi::Headers& headers, std::int64_t body_length,
                    bool head_request, int http_version, bool keep_alive, std::string_view server_header);

/// A complete error response ("400 Bad Request", text body) that closes the connection.
void write_error(std::string& out, int status, std::string_view server_header);

/// True for statuses that never carry a body (1xx, 204, 304).
bool status_has_no_body(int status) noexcept;

}  // namespace duet::server::detail
