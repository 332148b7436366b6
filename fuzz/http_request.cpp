// libFuzzer target for the request parsing path: scan_head (limits, framing defences), RequestParser (its
// one-pass path for plain heads checked against Beast's parser on every input), and the chunked body
// decoder, fed exactly as the server feeds them.
#include <cstddef>
#include <cstdint>
#include <string>

// The parsing sources are compiled into this target, so they get the fuzzer's coverage instrumentation
// (the layer libraries are built without it).
#include "../src/asgi/scope.cpp"
#include "../src/server/head_scanner.cpp"
#include "../src/server/request_parser.cpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace duet::server;
  Limits limits;
  limits.max_request_line = 512;
  limits.max_header_bytes = 2048;
  limits.max_header_count = 32;
  limits.max_body = 4096;
  const char* p = reinterpret_cast<const char*>(data);
  std::size_t skip = detail::leading_empty_lines(p, size);
  p += skip;
  size -= skip;
  detail::HeadScan scan = detail::scan_head(p, size, limits);
  if (scan.result != detail::HeadScan::complete) return 0;
  if (scan.head_length > size) __builtin_trap();
  duet::asgi::Scope scope;
  detail::RequestParser parser(limits, scope);
  const int status_of_head = parser.parse_head(p, scan.head_length);
  // The one-pass path for plain heads must be indistinguishable from Beast's: the same status, and for an
  // accepted head the same Scope and framing.
  duet::asgi::Scope beast_scope;
  detail::RequestParser beast(limits, beast_scope, false);
  if (beast.parse_head(p, scan.head_length) != status_of_head) __builtin_trap();
  if (status_of_head != 0) return 0;
  if (scope.method != beast_scope.method || scope.path != beast_scope.path ||
      scope.raw_path != beast_scope.raw_path || scope.query_string != beast_scope.query_string ||
      scope.http_version != beast_scope.http_version || scope.headers != beast_scope.headers ||
      parser.keep_alive() != beast.keep_alive() || parser.chunked() != beast.chunked() ||
      parser.upgrade() != beast.upgrade() || parser.expect_continue() != beast.expect_continue() ||
      parser.content_length() != beast.content_length())
    __builtin_trap();
  if (scope.headers.size() > limits.max_header_count) __builtin_trap();
  if (!parser.chunked()) return 0;
  // The body in two pieces, as if it came in two reads.
  std::string body;
  const char* rest = p + scan.head_length;
  std::size_t left = size - scan.head_length;
  std::size_t half = left / 2;
  int status = 0;
  std::size_t used = parser.parse_chunked(rest, half, body, status);
  if (status || used > half) return 0;
  std::size_t more = parser.parse_chunked(rest + used, left - used, body, status);
  if (more > left - used) __builtin_trap();
  if (body.size() > limits.max_body) __builtin_trap();
  return 0;
}
