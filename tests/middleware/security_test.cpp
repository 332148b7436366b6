// SecurityMiddleware through the real handler, in each chain mode.
#include <gtest/gtest.h>

#include <duet/middleware/security.hpp>

#include "middleware/support.hpp"

namespace {

using namespace duet_test;
using duet::middleware::SecurityMiddleware;
using duet::middleware::SecurityOptions;
namespace urls = duet::urls;

urls::UrlPatterns patterns() {
  return {
      urls::path("page/", urls::View([](HttpRequest&) { return HttpResponse("page"); })),
      urls::path("health/", urls::View([](HttpRequest&) { return HttpResponse("ok"); })),
      urls::path("own/", urls::View([](HttpRequest&) {
                   HttpResponse r("own");
                   r.headers.set("X-Content-Type-Options", "custom");
                   r.headers.set("Strict-Transport-Security", "max-age=1");
                   return r;
                 })),
  };
}

std::vector<duet::handlers::MiddlewareSpec> security(SecurityOptions options = {}) {
  return {SecurityMiddleware::spec(std::move(options))};
}

class Security : public ::testing::TestWithParam<Chain> {};

TEST_P(Security, DefaultsAreDjangos) {
  App app(GetParam(), patterns(), security());
  auto r = app.get("/page/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "x-content-type-options"), "nosniff");
  EXPECT_EQ(header(r, "referrer-policy"), "same-origin");
  EXPECT_FALSE(header(r, "strict-transport-security"));
  EXPECT_FALSE(header(r, "x-xss-protection"));
  EXPECT_FALSE(header(r, "cross-origin-opener-policy"));
}

TEST_P(Security, HstsOnlyOverHttps) {
  App app(GetParam(), patterns(),
          security({.hsts_seconds = 3600, .hsts_include_subdomains = true, .hsts_preload = true}));
  EXPECT_FALSE(header(app.get("/page/"), "strict-transport-security"));
  Request req;
  req.scheme = "https";
  req.path = "/page/";
  EXPECT_EQ(header(app(req), "strict-transport-security"), "max-age=3600; includeSubDomains; preload");
}

TEST_P(Security, HeadersTheViewSetAreKept) {
  App app(GetParam(), patterns(), security({.hsts_seconds = 60}));
  Request req;
  req.scheme = "https";
  req.path = "/own/";
  auto r = app(req);
  EXPECT_EQ(header(r, "x-content-type-options"), "custom");
  EXPECT_EQ(header(r, "strict-transport-security"), "max-age=1");
  EXPECT_EQ(header_count(r, "x-content-type-options"), 1u);
}

TEST_P(Security, OptionalHeaders) {
  App app(GetParam(), patterns(),
          security({.browser_xss_filter = true,
                    .referrer_policy = "no-referrer,  strict-origin-when-cross-origin",
                    .cross_origin_opener_policy = "same-origin"}));
  auto r = app.get("/page/");
  EXPECT_EQ(header(r, "x-xss-protection"), "1; mode=block");
  EXPECT_EQ(header(r, "referrer-policy"), "no-referrer,strict-origin-when-cross-origin");
  EXPECT_EQ(header(r, "cross-origin-opener-policy"), "same-origin");
  App none(GetParam(), patterns(), security({.content_type_nosniff = false, .referrer_policy = ""}));
  auto n = none.get("/page/");
  EXPECT_FALSE(header(n, "x-content-type-options"));
  EXPECT_FALSE(header(n, "referrer-policy"));
}

TEST_P(Security, SslRedirect) {
  App app(GetParam(), patterns(), security({.ssl_redirect = true, .redirect_exempt = {"^health/$"}}));
  Request req;
  req.path = "/page/";
  req.query_string = "a=1";
  auto r = app(req);
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r, "location"), "https://testserver/page/?a=1");
  // Exempt paths are matched without their leading slash.
  EXPECT_EQ(app.get("/health/").status, 200);
  req.scheme = "https";
  EXPECT_EQ(app(req).status, 200);

  App hosted(GetParam(), patterns(), security({.ssl_redirect = true, .ssl_host = "secure.example.com"}));
  EXPECT_EQ(header(hosted.get("/page/"), "location"), "https://secure.example.com/page/");
}

INSTANTIATE_TEST_SUITE_P(Chains, Security,
                         ::testing::Values(Chain::async_app, Chain::async_app_sync, Chain::sync_app),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(SecurityOptions, InvalidExemptRegexIsAConfigurationError) {
  EXPECT_THROW(SecurityMiddleware({.redirect_exempt = {"[a-"}}), duet::conf::ImproperlyConfigured);
}

}  // namespace
