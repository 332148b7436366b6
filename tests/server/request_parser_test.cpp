// RequestParser's two paths: the fast one for plain heads and Beast's for everything else must agree on
// every head the fast one takes (same Scope, same framing), and every other head must reach Beast's.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "duet/detail/byte_words.hpp"
#include "head_scanner.hpp"
#include "request_parser.hpp"

namespace {

using duet::server::Limits;
using duet::server::detail::HeadScan;
using duet::server::detail::RequestParser;

struct Parsed {
  int status = 0;
  bool fast = false;
  duet::asgi::Scope scope;
  bool keep_alive = false, chunked = false, upgrade = false, expect_continue = false, head = false;
  int version = 0;
  long long length = -2;
};

Limits small_limits() {
  Limits limits;
  limits.max_request_line = 256;
  limits.max_header_bytes = 1024;
  limits.max_header_count = 8;
  limits.max_body = 1000;
  return limits;
}

// nullopt-like: status -1 when scan_head does not find a complete head (the server would not parse it).
Parsed parse(const std::string& input, bool fast, const Limits& limits) {
  Parsed out;
  const char* p = input.data();
  std::size_t size = input.size();
  std::size_t skip = duet::server::detail::leading_empty_lines(p, size);
  p += skip;
  size -= skip;
  HeadScan scan = duet::server::detail::scan_head(p, size, limits);
  if (scan.result != HeadScan::complete) {
    out.status = -1;
    return out;
  }
  RequestParser parser(limits, out.scope, fast);
  out.status = parser.parse_head(p, scan.head_length);
  out.fast = parser.took_fast_path();
  if (out.status) return out;
  out.keep_alive = parser.keep_alive();
  out.chunked = parser.chunked();
  out.upgrade = parser.upgrade();
  out.expect_continue = parser.expect_continue();
  out.head = parser.head_request();
  out.version = parser.version();
  auto length = parser.content_length();
  out.length = length ? static_cast<long long>(*length) : -1;
  return out;
}

void expect_same(const std::string& input, const Limits& limits, int& fast_count) {
  Parsed fast = parse(input, true, limits);
  Parsed beast = parse(input, false, limits);
  ASSERT_FALSE(beast.fast);
  if (fast.fast) ++fast_count;
  ASSERT_EQ(fast.status, beast.status) << testing::PrintToString(input);
  if (fast.status) {
    EXPECT_FALSE(fast.fast) << "the fast path never answers an error: " << testing::PrintToString(input);
    return;
  }
  SCOPED_TRACE(testing::PrintToString(input));
  EXPECT_EQ(fast.scope.method, beast.scope.method);
  EXPECT_EQ(fast.scope.http_version, beast.scope.http_version);
  EXPECT_EQ(fast.scope.path, beast.scope.path);
  EXPECT_EQ(fast.scope.raw_path, beast.scope.raw_path);
  EXPECT_EQ(fast.scope.query_string, beast.scope.query_string);
  EXPECT_EQ(fast.scope.headers, beast.scope.headers);
  EXPECT_EQ(fast.keep_alive, beast.keep_alive);
  EXPECT_EQ(fast.chunked, beast.chunked);
  EXPECT_EQ(fast.upgrade, beast.upgrade);
  EXPECT_EQ(fast.expect_continue, beast.expect_continue);
  EXPECT_EQ(fast.head, beast.head);
  EXPECT_EQ(fast.version, beast.version);
  EXPECT_EQ(fast.length, beast.length);
}

const std::vector<std::string>& seeds() {
  static const std::vector<std::string> heads = {
      "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
      "POST /submit?x=1&y=%20 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\n",
      "HEAD /a%20b/c HTTP/1.1\r\nhost: a\r\nConnection: close\r\n\r\n",
      "GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
      "GET /x HTTP/1.0\r\n\r\n",
      "GET /x HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\nX-Empty:\r\nX-Tab:\tv\t \r\n\r\n",
      "PUT /y HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n",
      "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      "POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
      "GET http://example.com/abs?q HTTP/1.1\r\nHost: example.com\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /two HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
      "GET /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n",
      "GET /list HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n",
      "GET /nohost HTTP/1.1\r\nAccept: x\r\n\r\n",
      "GET /twohosts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET /bad%zz HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /obs\xc3\xa9 HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n",
      "GET /v HTTP/2.0\r\nHost: a\r\n\r\n",
      "get /lower HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /many HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\n\r\n",
  };
  return heads;
}

// Header names are lower-cased eight bytes at a time (request names here, response names in the handler):
// the same as a byte loop for every byte value at every position, whatever the length.
TEST(RequestParser, LowerAsciiInPlaceMatchesAByteLoop) {
  for (std::size_t n = 0; n <= 40; ++n) {
    for (int first = 0; first < 256; first += 3) {
      std::string s(n, '\0');
      for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((first + 37 * i) % 256);
      std::string expected = s;
      for (char& c : expected)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      duet::detail::lower_ascii_in_place(s.data(), s.size());
      ASSERT_EQ(s, expected) << "length " << n << ", first byte " << first;
    }
  }
}

TEST(RequestParser, EverydayHeadsTakeTheFastPath) {
  const Limits limits = small_limits();
  for (const char* head : {"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
                           "POST /submit?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
                           "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"}) {
    Parsed parsed = parse(head, true, limits);
    EXPECT_EQ(parsed.status, 0) << head;
    EXPECT_TRUE(parsed.fast) << head;
  }
  Parsed post = parse("POST /submit?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", true, limits);
  EXPECT_EQ(post.length, 5);
  EXPECT_EQ(post.scope.query_string, "x=1");
  EXPECT_TRUE(post.keep_alive);
}

TEST(RequestParser, FramingAndUpgradeHeadsGoToBeast) {
  const Limits limits = small_limits();
  for (const char* head : {"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                           "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
                           "POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
                           "GET /two HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                           "GET /nohost HTTP/1.1\r\n\r\n"}) {
    EXPECT_FALSE(parse(head, true, limits).fast) << head;
  }
  Parsed chunked = parse("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", true, limits);
  EXPECT_EQ(chunked.status, 0);
  EXPECT_TRUE(chunked.chunked);
  EXPECT_EQ(
      parse("GET /two HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", true, limits)
          .status,
      400);
  EXPECT_EQ(parse("GET /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", true, limits).status, 413);
  EXPECT_EQ(parse("GET /nohost HTTP/1.1\r\n\r\n", true, limits).status, 400);
}

TEST(RequestParser, BothPathsAgreeOnSeeds) {
  const Limits limits = small_limits();
  int fast = 0;
  for (const auto& head : seeds())
    expect_same(head, limits, fast);
  EXPECT_GE(fast, 8);
}

// A deterministic mutation fuzzer (the libFuzzer target in fuzz/ covers the parsing path too, with clang):
// bytes replaced, inserted, deleted and lines duplicated, with the bytes the rules turn on.
TEST(RequestParser, BothPathsAgreeOnMutatedHeads) {
  const Limits limits = small_limits();
  const std::string alphabet =
      std::string(" \t:,;%/?#*\x7f\x80\xff\r\n0aAzZ-_=\"", 22) + std::string(1, '\0');
  // DUET_PARSER_ROUNDS / DUET_PARSER_SEED: a longer or different run by hand.
  const char* rounds_env = std::getenv("DUET_PARSER_ROUNDS");
  const char* seed_env = std::getenv("DUET_PARSER_SEED");
  const int rounds = rounds_env ? std::atoi(rounds_env) : 20000;
  std::mt19937 rng(seed_env ? static_cast<unsigned>(std::atoi(seed_env)) : 20261126u);
  int fast = 0, checked = 0;
  for (int round = 0; round < rounds; ++round) {
    std::string head = seeds()[rng() % seeds().size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !head.empty(); ++e) {
      std::size_t at = rng() % head.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 5) {
        case 0:
          head[at] = c;
          break;
        case 1:
          head.insert(head.begin() + static_cast<long>(at), c);
          break;
        case 2:
          head.erase(at, 1);
          break;
        case 3:
          head[at] = static_cast<char>(head[at] ^ 0x20);
          break;  // flip case
        default: {
          std::size_t line = head.rfind("\r\n", at);
          std::size_t next = head.find("\r\n", at);
          if (line != std::string::npos && next != std::string::npos && next > line)
            head.insert(line, head.substr(line, next - line));
        }
      }
    }
    expect_same(head, limits, fast);
    ++checked;
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(fast, rounds / 20);  // the comparison covered the fast path, not only Beast's
}

}  // namespace

// A connection keeps one parser for all its requests: each head starts afresh, whichever path the one
// before took (Beast's state, chunked framing, Expect, headers and counts do not carry over).
TEST(RequestParser, OneParserParsesHeadAfterHead) {
  const Limits limits = small_limits();
  duet::asgi::Scope scope;
  RequestParser parser(limits, scope);
  const std::string chunked = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string expect =
      "POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  const std::string plain = "GET /p?q=1 HTTP/1.1\r\nHost: b\r\n\r\n";
  const std::string head_request = "HEAD /h HTTP/1.0\r\n\r\n";

  ASSERT_EQ(parser.parse_head(chunked.data(), chunked.size()), 0);
  EXPECT_FALSE(parser.took_fast_path());
  EXPECT_TRUE(parser.chunked());
  std::string body;
  int status = 0;
  const std::string chunks = "3\r\nabc\r\n0\r\n\r\n";
  EXPECT_EQ(parser.parse_chunked(chunks.data(), chunks.size(), body, status), chunks.size());
  EXPECT_EQ(body, "abc");
  EXPECT_TRUE(parser.is_done());

  ASSERT_EQ(parser.parse_head(plain.data(), plain.size()), 0);
  EXPECT_TRUE(parser.took_fast_path());
  EXPECT_FALSE(parser.chunked());
  EXPECT_TRUE(parser.is_done());
  EXPECT_TRUE(parser.keep_alive());
  EXPECT_FALSE(parser.content_length());
  EXPECT_EQ(scope.method, "GET");
  EXPECT_EQ(scope.path, "/p");
  EXPECT_EQ(scope.query_string, "q=1");
  ASSERT_EQ(scope.headers.size(), 1u);
  EXPECT_EQ(scope.headers[0], duet::asgi::Header("host", "b"));

  ASSERT_EQ(parser.parse_head(expect.data(), expect.size()), 0);
  EXPECT_FALSE(parser.took_fast_path());
  EXPECT_TRUE(parser.expect_continue());
  EXPECT_EQ(parser.content_length().value_or(0), 3u);
  EXPECT_EQ(scope.headers.size(), 3u);

  ASSERT_EQ(parser.parse_head(head_request.data(), head_request.size()), 0);
  EXPECT_TRUE(parser.took_fast_path());
  EXPECT_FALSE(parser.expect_continue());
  EXPECT_TRUE(parser.head_request());
  EXPECT_EQ(parser.version(), 10);
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_TRUE(scope.headers.empty());
  EXPECT_EQ(scope.http_version, "1.0");

  // An error on Beast's path leaves nothing behind for the next head either.
  const std::string twohosts = "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
  EXPECT_EQ(parser.parse_head(twohosts.data(), twohosts.size()), 400);
  ASSERT_EQ(parser.parse_head(plain.data(), plain.size()), 0);
  EXPECT_TRUE(parser.took_fast_path());
  EXPECT_EQ(scope.headers.size(), 1u);
}
