#include "head_scanner.hpp"

#include <cstring>

namespace duet::server::detail {

std::size_t leading_empty_lines(const char* data, std::size_t size) noexcept {
  std::size_t i = 0;
  while (i + 1 < size && data[i] == '\r' && data[i + 1] == '\n')
    i += 2;
  return i;
}

HeadScan scan_head(const char* data, std::size_t size, const Limits& limits) noexcept {
  HeadScan scan;
  auto fail = [&scan](int status) {
    scan.result = HeadScan::error;
    scan.status = status;
    return scan;
  };
  // Line by line with memchr (a byte-at-a-time loop was ~15 instructions a byte, on every request). Each
  // error is reported where the byte-at-a-time scan met it first: in the request line, a byte at or past
  // max_request_line (414) before a bare CR or LF (400).
  std::size_t line_start = 0;
  std::size_t fields_start = 0;
  bool in_request_line = true;
  for (;;) {
    const char* lf = static_cast<const char*>(std::memchr(data + line_start, '\n', size - line_start));
    const std::size_t end = lf ? static_cast<std::size_t>(lf - data) : size;
    const char* cr = static_cast<const char*>(std::memchr(data + line_start, '\r', end - line_start));
    // Bytes before `plain_end` are neither CR nor LF.
    const std::size_t plain_end = cr ? static_cast<std::size_t>(cr - data) : end;
    if (in_request_line && plain_end > line_start + limits.max_request_line) return fail(414);
    if (cr && plain_end + 1 < end) return fail(400);  // bare CR
    if (!lf) {
      break;  // need more (a trailing CR waits for its LF)
    }
    if (!cr) return fail(400);  // bare LF
    const std::size_t i = end;  // the LF, right after its CR
    const std::size_t line_length = i - 1 - line_start;
    if (in_request_line) {
      if (line_length > limits.max_request_line) return fail(414);
      in_request_line = false;
      fields_start = i + 1;
    } else if (line_length == 0) {
      scan.result = HeadScan::complete;
      scan.head_length = i + 1;
      return scan;
    } else if (i + 1 - fields_start > limits.max_header_bytes) {
      return fail(431);
    }
    // A line starting with whitespace continues the previous one (obs-fold), or, right after the request
    // line, hides a field from some parsers and not others: both are smuggling vectors.
    if (i + 1 < size && (data[i + 1] == ' ' || data[i + 1] == '\t')) return fail(400);
    line_start = i + 1;
  }
  if (!in_request_line && size - fields_start > limits.max_header_bytes + 2) return fail(431);
  return scan;
}

}  // namespace duet::server::detail
