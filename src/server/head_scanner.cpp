#include "head_scanner.hpp"

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
  std::size_t line_start = 0;
  std::size_t fields_start = 0;
  bool in_request_line = true;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (c == '\r') {
      if (i + 1 == size) break;
      if (data[i + 1] != '\n') return fail(400);  // bare CR
      continue;
    }
    if (c != '\n') {
      if (in_request_line && i - line_start >= limits.max_request_line) return fail(414);
      continue;
    }
    if (i == 0 || data[i - 1] != '\r') return fail(400);  // bare LF
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
