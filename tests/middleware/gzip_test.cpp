// GZipMiddleware through the real handler, in each chain mode.
#include <gtest/gtest.h>

#include <zlib.h>

#include <random>

#include <duet/middleware/gzip.hpp>

#include "middleware/support.hpp"

namespace {

using namespace duet_test;
using duet::middleware::decompress_string;
using duet::middleware::GZipMiddleware;
namespace urls = duet::urls;
namespace http = duet::http;

const std::string kLong = [] {
  std::string s;
  for (int i = 0; i < 40; ++i)
    s += "line " + std::to_string(i) + " of a compressible page\n";
  return s;
}();

std::string random_bytes(std::size_t n) {
  std::mt19937 gen(42);
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(gen());
  return s;
}

http::ChunkGenerator sync_chunks(int n) {
  auto i = std::make_shared<int>(0);
  return [i, n]() -> std::optional<std::string> {
    if (*i == n) return std::nullopt;
    return "event " + std::to_string((*i)++) + "\n";
  };
}

http::AsyncChunkGenerator async_chunks(int n) {
  auto i = std::make_shared<int>(0);
  return [i, n]() -> duet::Task<std::optional<std::string>> {
    if (*i == n) co_return std::nullopt;
    co_return "event " + std::to_string((*i)++) + "\n";
  };
}

std::string expected_events(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "event " + std::to_string(i) + "\n";
  return s;
}

urls::UrlPatterns patterns() {
  return {
      urls::path("long/", urls::View([](HttpRequest&) { return HttpResponse(kLong); })),
      urls::path("short/", urls::View([](HttpRequest&) { return HttpResponse(std::string(199, 'a')); })),
      urls::path("random/", urls::View([](HttpRequest&) { return HttpResponse(random_bytes(1000)); })),
      urls::path("encoded/", urls::View([](HttpRequest&) {
                   HttpResponse r(kLong);
                   r.headers.set("Content-Encoding", "br");
                   return r;
                 })),
      urls::path("etag/", urls::View([](HttpRequest&) {
                   HttpResponse r(kLong);
                   r.headers.set("ETag", "\"v1\"");
                   r.headers.set("Vary", "Cookie");
                   return r;
                 })),
      urls::path("stream/", urls::View([](HttpRequest&) -> HttpResponse {
                   http::StreamingHttpResponse r(sync_chunks(5));
                   r.headers.set("Content-Length", "999");
                   return r;
                 })),
      urls::path("astream/", urls::View([](HttpRequest&) -> duet::Task<HttpResponse> {
                   co_return http::StreamingHttpResponse(async_chunks(5));
                 })),
  };
}

std::vector<duet::handlers::MiddlewareSpec> gzip() {
  return {duet::handlers::middleware_spec<GZipMiddleware>("gzip")};
}

const std::vector<std::pair<std::string, std::string>> kAcceptGzip = {
    {"accept-encoding", "deflate, gzip;q=1.0"}};

class GZip : public ::testing::TestWithParam<Chain> {};

TEST_P(GZip, CompressesWhenAcceptedAndLongEnough) {
  App app(GetParam(), patterns(), gzip());
  auto r = app.get("/long/", kAcceptGzip);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "content-encoding"), "gzip");
  EXPECT_EQ(header(r, "vary"), "Accept-Encoding");
  EXPECT_EQ(header(r, "content-length"), std::to_string(r.body.size()));
  EXPECT_LT(r.body.size(), kLong.size());
  EXPECT_EQ(r.body.substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(decompress_string(r.body), kLong);
}

TEST_P(GZip, ShortResponsesAreLeftAlone) {
  App app(GetParam(), patterns(), gzip());
  auto r = app.get("/short/", kAcceptGzip);
  EXPECT_EQ(r.body, std::string(199, 'a'));
  EXPECT_FALSE(header(r, "content-encoding"));
  EXPECT_FALSE(header(r, "vary"));
}

TEST_P(GZip, NotAcceptedStillVaries) {
  App app(GetParam(), patterns(), gzip());
  for (const char* ae : {"", "deflate", "gzipped", "GZIP"}) {
    auto r = app.get("/long/", {{"accept-encoding", ae}});
    EXPECT_EQ(r.body, kLong) << ae;
    EXPECT_FALSE(header(r, "content-encoding")) << ae;
    EXPECT_EQ(header(r, "vary"), "Accept-Encoding") << ae;
  }
}

TEST_P(GZip, IncompressibleAndAlreadyEncodedAreLeftAlone) {
  App app(GetParam(), patterns(), gzip());
  auto r = app.get("/random/", kAcceptGzip);
  EXPECT_EQ(r.body, random_bytes(1000));
  EXPECT_FALSE(header(r, "content-encoding"));
  auto e = app.get("/encoded/", kAcceptGzip);
  EXPECT_EQ(e.body, kLong);
  EXPECT_EQ(header(e, "content-encoding"), "br");
  EXPECT_FALSE(header(e, "vary"));
}

TEST_P(GZip, StrongEtagBecomesWeakAndVaryIsExtended) {
  App app(GetParam(), patterns(), gzip());
  auto r = app.get("/etag/", kAcceptGzip);
  EXPECT_EQ(header(r, "etag"), "W/\"v1\"");
  EXPECT_EQ(header(r, "vary"), "Cookie, Accept-Encoding");
}

TEST_P(GZip, SyncStreamIsCompressedChunkByChunk) {
  App app(GetParam(), patterns(), gzip());
  auto r = app.get("/stream/", kAcceptGzip);
  EXPECT_EQ(header(r, "content-encoding"), "gzip");
  EXPECT_FALSE(header(r, "content-length"));
  // One message per source chunk (each flushed), the gzip trailer, and the final empty one.
  EXPECT_GE(r.body_messages, 6u);
  EXPECT_EQ(decompress_string(r.body), expected_events(5));
}

TEST_P(GZip, AsyncStreamIsCompressedChunkByChunk) {
  App app(GetParam(), patterns(), gzip());
  auto r = app.get("/astream/", kAcceptGzip);
  EXPECT_EQ(header(r, "content-encoding"), "gzip");
  EXPECT_GE(r.body_messages, 6u);
  EXPECT_EQ(decompress_string(r.body), expected_events(5));
}

TEST_P(GZip, StreamNotAcceptedPassesThrough) {
  App app(GetParam(), patterns(), gzip());
  auto r = app.get("/astream/");
  EXPECT_EQ(r.body, expected_events(5));
  EXPECT_EQ(header(r, "vary"), "Accept-Encoding");
}

INSTANTIATE_TEST_SUITE_P(Chains, GZip,
                         ::testing::Values(Chain::async_app, Chain::async_app_sync, Chain::sync_app),
                         [](const auto& info) { return std::string(to_string(info.param)); });

// Each chunk decodes when it arrives, before the stream ends: a client sees each server-sent event as it
// is written (Django's compressor holds them back until it has a block).
TEST(GZipStream, EveryChunkIsDecodableWhenItArrives) {
  duet::http::RequestParts parts;
  parts.headers = {{"Accept-Encoding", "gzip"}};
  HttpRequest request(parts, std::make_shared<const duet::conf::Settings>(test_settings()));
  GZipMiddleware gzip;
  auto response = gzip.process_response(request, http::StreamingHttpResponse(sync_chunks(3)));
  ASSERT_EQ(response.headers.get("Content-Encoding"), "gzip");

  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  for (int i = 0; i < 3; ++i) {
    auto chunk = response.next_chunk();
    ASSERT_TRUE(chunk);
    char buffer[4096];
    z.next_in = reinterpret_cast<Bytef*>(chunk->data());
    z.avail_in = static_cast<uInt>(chunk->size());
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    ASSERT_EQ(inflate(&z, Z_SYNC_FLUSH), Z_OK);
    EXPECT_EQ(std::string(buffer, sizeof buffer - z.avail_out), "event " + std::to_string(i) + "\n");
  }
  auto trailer = response.next_chunk();
  ASSERT_TRUE(trailer);
  char buffer[64];
  z.next_in = reinterpret_cast<Bytef*>(trailer->data());
  z.avail_in = static_cast<uInt>(trailer->size());
  z.next_out = reinterpret_cast<Bytef*>(buffer);
  z.avail_out = sizeof buffer;
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflateEnd(&z);
  EXPECT_FALSE(response.next_chunk());
}

// The middleware adds no thread hop: an async view with an async stream in the async chain takes none.
TEST(GZipHops, AsyncStreamInAsyncChainTakesNoHop) {
  App app(Chain::async_app, patterns(), gzip());
  auto r = app.get("/astream/", kAcceptGzip);
  EXPECT_EQ(decompress_string(r.body), expected_events(5));
  EXPECT_EQ(app.last_hops(), 0u);
}

TEST(GZipString, RoundTripAndCorruptInput) {
  EXPECT_EQ(decompress_string(duet::middleware::compress_string("")), "");
  EXPECT_EQ(decompress_string(duet::middleware::compress_string(kLong)), kLong);
  EXPECT_THROW(decompress_string("not gzip at all"), std::runtime_error);
  auto c = duet::middleware::compress_string(kLong);
  EXPECT_THROW(decompress_string(c.substr(0, c.size() / 2)), std::runtime_error);
  EXPECT_THROW(decompress_string(c, 10), std::runtime_error);
}

}  // namespace
