// Access log: one line per request in the combined log format, on stdout.
#pragma once

#include <cstdint>

#include "duet/asgi/scope.hpp"

namespace duet::server::detail {

/// 127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a?b HTTP/1.1" 200 2326 "referer" "user-agent"
void write_access_log(const asgi::Scope& scope, int status, std::uint64_t body_bytes);

}  // namespace duet::server::detail
