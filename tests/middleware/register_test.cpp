// register_builtin_middleware: the names settings.MIDDLEWARE uses, the declared modes, and adapter hops.
#include <gtest/gtest.h>

#include <duet/middleware/register.hpp>

#include "middleware/support.hpp"

namespace {

using namespace duet_test;
namespace urls = duet::urls;

const std::vector<std::string> kNames = {
    "duet.middleware.security.SecurityMiddleware",
    "duet.middleware.gzip.GZipMiddleware",
    "duet.middleware.http.ConditionalGetMiddleware",
    "duet.middleware.common.CommonMiddleware",
};

TEST(Register, BuiltinsAreFoundByTheirNamesAndRunInBothModes) {
  duet::middleware::register_builtin_middleware();
  duet::middleware::register_builtin_middleware();  // idempotent
  for (const auto& name : kNames) {
    auto spec = duet::handlers::find_middleware(name);
    EXPECT_EQ(spec.name, name);
    EXPECT_TRUE(spec.sync_capable) << name;
    EXPECT_TRUE(spec.async_capable) << name;
    EXPECT_FALSE(spec.has_process_view) << name;  // so an async chain never hops for them
    EXPECT_NE(spec.make(), nullptr);
  }
}

urls::UrlPatterns patterns() {
  return {
      urls::path("sync/", urls::View([](HttpRequest&) { return HttpResponse(std::string(300, 's')); })),
      urls::path("async/", urls::View([](HttpRequest&) -> duet::Task<HttpResponse> {
                   co_return HttpResponse(std::string(300, 'a'));
                 })),
  };
}

// The whole built-in stack from settings.MIDDLEWARE, with the hops Django's load_middleware rule gives.
class Stack : public ::testing::Test {
 protected:
  void SetUp() override { duet::middleware::register_builtin_middleware(); }

  duet::asgi::CallResult run(bool async_server, const std::string& path, std::uint64_t* hops) {
    auto settings = test_settings();
    settings.MIDDLEWARE = kNames;
    duet::Runtime runtime(duet::RuntimeOptions{.loops = 1});
    duet::handlers::BaseHandler::Options options;  // middleware from settings.MIDDLEWARE
    settings.ROOT_URLCONF = "duet_register_test";
    urls::register_urlconf(settings.ROOT_URLCONF, patterns());
    options.settings = std::make_shared<const duet::conf::Settings>(settings);
    auto app = async_server ? duet::handlers::get_asgi_application(options)
                            : duet::asgi::from_sync(duet::handlers::get_wsgi_application(options));
    duet::asgi::Scope scope;
    scope.method = "GET";
    scope.path = scope.raw_path = path;
    scope.headers = {{"host", "testserver"}, {"accept-encoding", "gzip"}};
    auto before = duet::handlers::BaseHandler::hops();
    auto r = runtime.block_on(duet::asgi::call(app, scope));
    *hops = duet::handlers::BaseHandler::hops() - before;
    return r;
  }
};

TEST_F(Stack, AsyncServerAsyncViewTakesNoHop) {
  std::uint64_t hops = 99;
  auto r = run(true, "/async/", &hops);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "content-encoding"), "gzip");
  EXPECT_EQ(header(r, "x-content-type-options"), "nosniff");
  EXPECT_TRUE(header(r, "etag"));
  EXPECT_EQ(header(r, "content-length"), std::to_string(r.body.size()));
  EXPECT_EQ(hops, 0u);
}

TEST_F(Stack, AsyncServerSyncViewTakesOneHop) {
  std::uint64_t hops = 99;
  auto r = run(true, "/sync/", &hops);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "content-encoding"), "gzip");
  EXPECT_EQ(hops, 1u);
}

TEST_F(Stack, ThreadedServerSyncViewTakesNoHopAsyncViewOne) {
  std::uint64_t hops = 99;
  EXPECT_EQ(run(false, "/sync/", &hops).status, 200);
  EXPECT_EQ(hops, 0u);
  auto r = run(false, "/async/", &hops);
  EXPECT_EQ(header(r, "content-encoding"), "gzip");
  EXPECT_EQ(hops, 1u);
}

TEST_F(Stack, AppendSlashThroughTheStack) {
  std::uint64_t hops = 99;
  auto r = run(true, "/async", &hops);
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r, "location"), "/async/");
  EXPECT_EQ(hops, 0u);  // answered by CommonMiddleware on the loop
}

// The handler takes the URLconf named by the ROOT_URLCONF of its own settings, not of the process-wide ones.
TEST(HandlerLayer, UrlconfComesFromTheOptionsSettings) {
  auto settings = test_settings();
  settings.ROOT_URLCONF = "duet_register_test_options_only";
  urls::register_urlconf(settings.ROOT_URLCONF, patterns());
  duet::handlers::BaseHandler::Options options;
  options.middleware = std::vector<duet::handlers::MiddlewareSpec>{};
  options.settings = std::make_shared<const duet::conf::Settings>(settings);
  // Throws ImproperlyConfigured (process-wide ROOT_URLCONF is empty) instead of using the one above.
  duet::handlers::BaseHandler handler(options);
  EXPECT_TRUE(handler.is_async());
}

}  // namespace
