// CommonMiddleware through the real handler, in each chain mode.
#include <gtest/gtest.h>

#include <duet/http/exceptions.hpp>
#include <duet/middleware/common.hpp>

#include "middleware/support.hpp"

namespace {

using namespace duet_test;
using duet::middleware::CommonMiddleware;
using duet::middleware::CommonOptions;
namespace urls = duet::urls;

urls::View text_view(std::string text) {
  return urls::View([text](HttpRequest&) { return HttpResponse(text); });
}

urls::UrlPatterns patterns() {
  return {
      urls::path("articles/", text_view("articles"), "articles"),
      urls::path("plain", text_view("plain")),
      urls::re_path(R"(^/evil\.com/$)", text_view("evil")),
      urls::path("stream/", urls::View([](HttpRequest&) -> HttpResponse {
                   auto left = std::make_shared<int>(3);
                   return duet::http::StreamingHttpResponse(
                       duet::http::ChunkGenerator([left]() -> std::optional<std::string> {
                         if ((*left)-- == 0) return std::nullopt;
                         return std::string("chunk");
                       }));
                 })),
  };
}

std::vector<duet::handlers::MiddlewareSpec> common(CommonOptions options = {}) {
  return {CommonMiddleware::spec(std::move(options))};
}

class Common : public ::testing::TestWithParam<Chain> {};

TEST_P(Common, AppendSlashRedirectsPermanentlyWhenOnlyTheSlashedPathResolves) {
  App app(GetParam(), patterns(), common());
  auto r = app.get("/articles");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r, "location"), "/articles/");
}

TEST_P(Common, AppendSlashKeepsTheQueryString) {
  App app(GetParam(), patterns(), common());
  Request req;
  req.path = "/articles";
  req.query_string = "page=2&q=a%20b";
  auto r = app(req);
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r, "location"), "/articles/?page=2&q=a%20b");
}

TEST_P(Common, NoRedirectWhenThePathResolvesOrNeitherDoes) {
  App app(GetParam(), patterns(), common());
  auto plain = app.get("/plain");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, "plain");
  EXPECT_EQ(app.get("/nowhere").status, 404);
  EXPECT_EQ(app.get("/articles/").status, 200);
}

TEST_P(Common, AppendSlashOffGives404) {
  auto settings = test_settings();
  settings.APPEND_SLASH = false;
  App app(GetParam(), patterns(), common(), settings);
  EXPECT_EQ(app.get("/articles").status, 404);
}

TEST_P(Common, LeadingDoubleSlashIsEscapedSoTheRedirectStaysOnThisHost) {
  App app(GetParam(), patterns(), common());
  auto r = app.get("//evil.com");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r, "location"), "/%2Fevil.com/");
}

TEST_P(Common, DebugRefusesToRedirectAPostWithAnExplanation) {
  auto settings = test_settings();
  settings.DEBUG = true;
  App app(GetParam(), patterns(), common(), settings);
  Request req;
  req.method = "POST";
  req.path = "/articles";
  auto r = app(req);
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("APPEND_SLASH"), std::string::npos);
  // Without DEBUG the POST is redirected, as in Django.
  App quiet(GetParam(), patterns(), common());
  EXPECT_EQ(quiet(req).status, 301);
}

TEST_P(Common, PrependWwwRedirectsToTheWwwHost) {
  auto settings = test_settings();
  settings.PREPEND_WWW = true;
  App app(GetParam(), patterns(), common(), settings);
  Request req;
  req.host = "example.com";
  req.path = "/articles";
  req.query_string = "x=1";
  auto r = app(req);
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r, "location"), "http://www.example.com/articles/?x=1");

  req.host = "www.example.com";
  req.path = "/articles/";
  EXPECT_EQ(app(req).status, 200);
}

TEST_P(Common, ContentLengthOnBufferedResponsesOnly) {
  App app(GetParam(), patterns(), common());
  auto r = app.get("/articles/");
  EXPECT_EQ(header(r, "content-length"), "8");
  auto s = app.get("/stream/");
  EXPECT_EQ(s.body, "chunkchunkchunk");
  EXPECT_FALSE(header(s, "content-length").has_value());
  // The 404 page of the handler gets one too: the middleware sees every response.
  auto missing = app.get("/nowhere/");
  EXPECT_EQ(header(missing, "content-length"), std::to_string(missing.body.size()));
}

TEST_P(Common, DisallowedUserAgentIsForbidden) {
  App app(GetParam(), patterns(), common({.disallowed_user_agents = {"^BadBot", "evil"}}));
  EXPECT_EQ(app.get("/articles/", {{"user-agent", "BadBot/1.0"}}).status, 403);
  EXPECT_EQ(app.get("/articles/", {{"user-agent", "Mozilla (evil inside)"}}).status, 403);
  EXPECT_EQ(app.get("/articles/", {{"user-agent", "GoodBot BadBot"}}).status, 200);
  EXPECT_EQ(app.get("/articles/").status, 200);
}

TEST_P(Common, HostOutsideAllowedHostsIs400) {
  App app(GetParam(), patterns(), common());
  Request req;
  req.host = "attacker.example";
  req.path = "/articles/";
  EXPECT_EQ(app(req).status, 400);
}

INSTANTIATE_TEST_SUITE_P(Chains, Common,
                         ::testing::Values(Chain::async_app, Chain::async_app_sync, Chain::sync_app),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(CommonOptions, InvalidUserAgentRegexIsAConfigurationError) {
  EXPECT_THROW(CommonMiddleware({.disallowed_user_agents = {"("}}), duet::conf::ImproperlyConfigured);
}

TEST(CommonOptions, ShouldRedirectWithSlashUsesSettingsRootUrlconfByDefault) {
  urls::register_urlconf("middleware_common_test", patterns());
  auto settings = test_settings();
  settings.ROOT_URLCONF = "middleware_common_test";
  // No urlconf option and none in the handler options: the registered ROOT_URLCONF is consulted.
  duet::Runtime runtime(duet::RuntimeOptions{.loops = 1});
  duet::handlers::BaseHandler::Options options;
  options.middleware = std::vector{duet::handlers::middleware_spec<CommonMiddleware>("common")};
  options.settings = std::make_shared<const duet::conf::Settings>(settings);
  options.urlconf = urls::get_resolver("middleware_common_test");
  auto app = duet::handlers::get_asgi_application(options);
  duet::asgi::Scope scope;
  scope.method = "GET";
  scope.path = scope.raw_path = "/articles";
  scope.headers.emplace_back("host", "testserver");
  auto r = runtime.block_on(duet::asgi::call(app, scope));
  EXPECT_EQ(r.status, 301);
}

}  // namespace
