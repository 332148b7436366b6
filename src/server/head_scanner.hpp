// scan_head: finds the end of a request's header block and applies the RFC 9112 framing defences that
// Beast's parser is lenient about (bare CR, bare LF, obs-fold) and the size limits, before Beast sees it.
#pragma once

#include <cstddef>

#include "duet/server/options.hpp"

namespace duet::server::detail {

struct HeadScan {
  enum Result { need_more, complete, error };
  Result result = need_more;
  /// complete: bytes of the head including the final CRLFCRLF.
  std::size_t head_length = 0;
  /// error: the status to answer with (400, 414, 431).
  int status = 0;
};

/// Scans [data, data + size). Leading empty lines must have been skipped by the caller.
HeadScan scan_head(const char* data, std::size_t size, const Limits& limits) noexcept;

/// How many bytes of leading CRLF pairs to skip (RFC 9112 §2.2: a server SHOULD ignore empty lines
/// before the request line).
std::size_t leading_empty_lines(const char* data, std::size_t size) noexcept;

}  // namespace duet::server::detail
