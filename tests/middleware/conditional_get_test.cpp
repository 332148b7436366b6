// ConditionalGetMiddleware through the real handler, and the helpers of middleware/cache.hpp.
#include <gtest/gtest.h>

#include <duet/middleware/cache.hpp>
#include <duet/middleware/http.hpp>

#include "middleware/support.hpp"

namespace {

using namespace duet_test;
using duet::middleware::ConditionalGetMiddleware;
namespace mw = duet::middleware;
namespace urls = duet::urls;
namespace http = duet::http;

// md5("hello") = 5d41402abc4b2a76b9719d911017c592
const std::string kHelloEtag = "\"5d41402abc4b2a76b9719d911017c592\"";
const std::string kModified = "Wed, 21 Oct 2015 07:28:00 GMT";

urls::UrlPatterns patterns() {
  return {
      urls::path("hello/", urls::View([](HttpRequest&) {
                   HttpResponse r("hello");
                   r.set_cookie("seen", "1");
                   r.headers.set("Cache-Control", "max-age=60");
                   r.headers.set("X-Other", "dropped on 304");
                   return r;
                 })),
      urls::path("dated/", urls::View([](HttpRequest&) -> duet::Task<HttpResponse> {
                   HttpResponse r("dated");
                   r.headers.set("Last-Modified", kModified);
                   co_return r;
                 })),
      urls::path("nostore/", urls::View([](HttpRequest&) {
                   HttpResponse r("secret");
                   r.headers.set("Cache-Control", "private, No-Store");
                   return r;
                 })),
      urls::path("missing/", urls::View([](HttpRequest&) { return http::HttpResponseNotFound("hello"); })),
      urls::path("stream/", urls::View([](HttpRequest&) -> HttpResponse {
                   auto once = std::make_shared<bool>(false);
                   http::StreamingHttpResponse r(http::ChunkGenerator([once]() -> std::optional<std::string> {
                     if (*once) return std::nullopt;
                     *once = true;
                     return std::string("streamed");
                   }));
                   r.headers.set("ETag", "W/\"s1\"");
                   return r;
                 })),
  };
}

std::vector<duet::handlers::MiddlewareSpec> conditional() {
  return {duet::handlers::middleware_spec<ConditionalGetMiddleware>("conditional")};
}

class ConditionalGet : public ::testing::TestWithParam<Chain> {};

TEST_P(ConditionalGet, AddsAnEtagAndAnswersAMatchWith304) {
  App app(GetParam(), patterns(), conditional());
  auto first = app.get("/hello/");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(header(first, "etag"), kHelloEtag);

  auto again = app.get("/hello/", {{"if-none-match", "\"other\", " + kHelloEtag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(header(again, "etag"), kHelloEtag);
  EXPECT_EQ(header(again, "cache-control"), "max-age=60");
  EXPECT_FALSE(header(again, "x-other"));
  EXPECT_FALSE(header(again, "content-type"));
  // Cookies survive a 304 (RFC 6265).
  EXPECT_EQ(header(again, "set-cookie"), "seen=1; Path=/");
  // Weak comparison for If-None-Match; "*" matches any.
  EXPECT_EQ(app.get("/hello/", {{"if-none-match", "W/" + kHelloEtag}}).status, 304);
  EXPECT_EQ(app.get("/hello/", {{"if-none-match", "*"}}).status, 304);
  EXPECT_EQ(app.get("/hello/", {{"if-none-match", "\"other\""}}).status, 200);
}

TEST_P(ConditionalGet, HeadIsTreatedAsGet) {
  App app(GetParam(), patterns(), conditional());
  Request req;
  req.method = "HEAD";
  req.path = "/hello/";
  req.headers = {{"if-none-match", kHelloEtag}};
  EXPECT_EQ(app(req).status, 304);
}

TEST_P(ConditionalGet, FailedPreconditionsGive412) {
  App app(GetParam(), patterns(), conditional());
  EXPECT_EQ(app.get("/hello/", {{"if-match", "\"other\""}}).status, 412);
  EXPECT_EQ(app.get("/hello/", {{"if-match", kHelloEtag}}).status, 200);
  // If-Match uses the strong comparison.
  EXPECT_EQ(app.get("/stream/", {{"if-match", "W/\"s1\""}}).status, 412);
  EXPECT_EQ(app.get("/dated/", {{"if-unmodified-since", "Tue, 20 Oct 2015 07:28:00 GMT"}}).status, 412);
  EXPECT_EQ(app.get("/dated/", {{"if-unmodified-since", kModified}}).status, 200);
}

TEST_P(ConditionalGet, LastModifiedAnswersIfModifiedSince) {
  App app(GetParam(), patterns(), conditional());
  auto same = app.get("/dated/", {{"if-modified-since", kModified}});
  EXPECT_EQ(same.status, 304);
  EXPECT_EQ(header(same, "last-modified"), kModified);
  EXPECT_EQ(app.get("/dated/", {{"if-modified-since", "Thu, 22 Oct 2015 07:28:00 GMT"}}).status, 304);
  EXPECT_EQ(app.get("/dated/", {{"if-modified-since", "Tue, 20 Oct 2015 07:28:00 GMT"}}).status, 200);
  // A malformed date is ignored.
  EXPECT_EQ(app.get("/dated/", {{"if-modified-since", "yesterday"}}).status, 200);
  // If-None-Match takes precedence over If-Modified-Since.
  EXPECT_EQ(app.get("/dated/", {{"if-none-match", "\"x\""}, {"if-modified-since", kModified}}).status, 200);
}

TEST_P(ConditionalGet, UnsafeMethodsNoStoreErrorsAreLeftAlone) {
  App app(GetParam(), patterns(), conditional());
  Request post;
  post.method = "POST";
  post.path = "/hello/";
  post.headers = {{"if-none-match", kHelloEtag}};
  auto p = app(post);
  EXPECT_EQ(p.status, 200);
  EXPECT_FALSE(header(p, "etag"));
  auto ns = app.get("/nostore/");
  EXPECT_FALSE(header(ns, "etag"));
  auto missing = app.get("/missing/", {{"if-none-match", kHelloEtag}});
  EXPECT_EQ(missing.status, 404);
}

TEST_P(ConditionalGet, StreamingResponseWithItsOwnEtag) {
  App app(GetParam(), patterns(), conditional());
  auto full = app.get("/stream/");
  EXPECT_EQ(full.body, "streamed");
  auto r = app.get("/stream/", {{"if-none-match", "W/\"s1\""}});
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(r.body, "");
}

INSTANTIATE_TEST_SUITE_P(Chains, ConditionalGet,
                         ::testing::Values(Chain::async_app, Chain::async_app_sync, Chain::sync_app),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(HttpDate, ParsesTheThreeFormats) {
  const std::int64_t expected = 784111777;  // 1994-11-06 08:49:37 UTC
  EXPECT_EQ(mw::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
  EXPECT_EQ(mw::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
  EXPECT_EQ(mw::parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
  EXPECT_EQ(mw::parse_http_date("Sun Nov 16 08:49:37 1994"), expected + 10 * 86400);
  EXPECT_EQ(mw::parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
}

TEST(HttpDate, RejectsMalformed) {
  for (const char* bad :
       {"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}) {
    EXPECT_FALSE(mw::parse_http_date(bad)) << bad;
  }
}

TEST(Etags, ParseAndQuote) {
  EXPECT_EQ(mw::parse_etags("*"), std::vector<std::string>{"*"});
  EXPECT_EQ(mw::parse_etags(" \"a\" , W/\"b\",bad, \"c"), (std::vector<std::string>{"\"a\"", "W/\"b\""}));
  EXPECT_TRUE(mw::parse_etags("").empty());
  std::string many;
  for (int i = 0; i < 5000; ++i)
    many += "\"x\",";
  EXPECT_EQ(mw::parse_etags(many).size(), 1000u);
  EXPECT_EQ(mw::quote_etag("abc"), "\"abc\"");
  EXPECT_EQ(mw::quote_etag("\"abc\""), "\"abc\"");
  EXPECT_EQ(mw::quote_etag("W/\"abc\""), "W/\"abc\"");
}

TEST(Vary, PatchAddsEachHeaderOnce) {
  HttpResponse r;
  mw::patch_vary_headers(r, {"Accept-Encoding"});
  EXPECT_EQ(r.headers.get("Vary"), "Accept-Encoding");
  mw::patch_vary_headers(r, {"accept-encoding", "Cookie"});
  EXPECT_EQ(r.headers.get("Vary"), "Accept-Encoding, Cookie");
  r.headers.set("Vary", "Cookie ,  *");
  mw::patch_vary_headers(r, {"Accept-Language"});
  EXPECT_EQ(r.headers.get("Vary"), "*");
}

}  // namespace
