// render(), TemplateResponse and process_template_response end to end through the test client.
#include <gtest/gtest.h>

#include <duet/conf/settings.hpp>
#include <duet/handlers/asgi.hpp>
#include <duet/handlers/middleware.hpp>
#include <duet/runtime/safety.hpp>
#include <duet/shortcuts.hpp>
#include <duet/template/loader.hpp>
#include <duet/template/response.hpp>
#include <duet/test/client.hpp>
#include <duet/test/request_factory.hpp>
#include <duet/urls/resolvers.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace duet::templates;
using duet::http::HttpRequest;
using duet::http::HttpResponse;

namespace {

std::atomic<int> template_hook_calls{0};

// Django's canonical process_template_response use: change the context (and the template) before the
// deferred render.
struct ContextChanger : duet::handlers::Middleware {
  HttpResponse process_template_response(HttpRequest& request, HttpResponse response) override {
    ++template_hook_calls;
    if (auto* t = template_response(response)) {
      t->set("who", "middleware");
      if (request.GET().get("swap")) t->template_name = {"other.html"};
      add_post_render_callback(response, [](HttpResponse& r) {
        r.headers.set("X-Rendered-Length", std::to_string(r.content().size()));
      });
    }
    return response;
  }
};

struct AsyncContextChanger : ContextChanger {
  static constexpr bool sync_capable = false;
  static constexpr bool async_capable = true;
  duet::Task<HttpResponse> acall(HttpRequest& request) override { co_return co_await aget_response(request); }
};

// Answers /plain/ itself with a TemplateResponse, so the view never runs (a cache or maintenance middleware).
struct ViewShortcut : duet::handlers::Middleware {
  std::optional<HttpResponse> process_view(HttpRequest& request, const duet::urls::ResolverMatch&) override {
    if (request.path_info != "/plain/") return std::nullopt;
    return HttpResponse(TemplateResponse(request, "page.html", {{"who", "process_view"}}));
  }
};

HttpResponse deferred(HttpRequest& request) {
  return TemplateResponse(request, "page.html", {{"who", "view"}, {"n", 3}});
}

duet::Task<HttpResponse> adeferred(HttpRequest& request) {
  co_return TemplateResponse(request, std::vector<std::string>{"missing.html", "page.html"},
                             {{"who", "async view"}}, 201);
}

// Records whether the template was rendered on an event-loop thread (where QuerySets and lazy foreign
// keys in the context could not be evaluated).
duet::Task<HttpResponse> where_rendered(HttpRequest& request) {
  std::function<Value()> probe = [] { return Value(duet::in_event_loop() ? "loop" : "sync thread"); };
  co_return TemplateResponse(request, "probe.html", {{"probe", probe}});
}

HttpResponse rendered_now(HttpRequest& request) {
  return duet::render(request, "page.html", {{"who", "render()"}}, 202, "text/plain");
}

HttpResponse plain(HttpRequest&) {
  return HttpResponse("plain");
}

HttpResponse broken(HttpRequest& request) {
  return TemplateResponse(request, "broken.html");
}

void register_urls() {
  using duet::urls::path;
  static bool done = [] {
    duet::urls::register_urlconf("template_response_tests", {
                                                                path("deferred/", deferred),
                                                                path("adeferred/", adeferred),
                                                                path("where/", where_rendered),
                                                                path("render/", rendered_now),
                                                                path("plain/", plain, "plain"),
                                                                path("broken/", broken),
                                                            });
    return true;
  }();
  (void)done;
}

duet::conf::Settings settings() {
  duet::conf::Settings s;
  s.ALLOWED_HOSTS = {"testserver"};
  s.ROOT_URLCONF = "template_response_tests";
  duet::conf::TemplateSettings t;
  s.TEMPLATES = {t};
  return s;
}

// Templates in a fresh directory, the settings pointing at it and at the URLconf, for each test.
class TemplateResponseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_urls();
    dir_ = std::filesystem::temp_directory_path() / ("duet-tmplresp-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    write("page.html", "{{ who }} {{ n|default:'-' }} {{ request.path }}");
    write("other.html", "other: {{ who }}");
    write("broken.html", "{% url 'no-such-view' %}");
    write("probe.html", "{{ probe }}");
    auto s = settings();
    s.TEMPLATES[0].DIRS = {dir_.string()};
    s.TEMPLATES[0].OPTIONS.context_processors = {"django.template.context_processors.request"};
    override_.emplace(std::move(s));
    template_hook_calls = 0;
  }
  void TearDown() override {
    override_.reset();
    std::filesystem::remove_all(dir_);
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  duet::test::Client client(std::vector<duet::handlers::MiddlewareSpec> middleware, bool is_async = true) {
    duet::handlers::BaseHandler::Options options;
    options.middleware = std::move(middleware);
    options.is_async = is_async;
    return duet::test::Client(duet::handlers::get_asgi_application(options));
  }
  std::filesystem::path dir_;
  std::optional<duet::conf::SettingsOverride> override_;
};

}  // namespace

TEST_F(TemplateResponseTest, MiddlewareChangesContextBeforeTheDeferredRender) {
  for (bool async_middleware : {false, true}) {
    auto c = client({async_middleware ? duet::handlers::middleware_spec<AsyncContextChanger>("changer")
                                      : duet::handlers::middleware_spec<ContextChanger>("changer")});
    auto r = c.get("/deferred/");
    EXPECT_EQ(r.status_code, 200);
    EXPECT_EQ(r.content, "middleware 3 /deferred/");
    EXPECT_EQ(r["x-rendered-length"], std::to_string(r.content.size()));
    auto swapped = c.get("/deferred/", {{"swap", "1"}});
    EXPECT_EQ(swapped.content, "other: middleware");
    auto a = c.get("/adeferred/");
    EXPECT_EQ(a.status_code, 201);
    EXPECT_EQ(a.content, "middleware - /adeferred/");
  }
}

TEST_F(TemplateResponseTest, AsyncChainRendersOffTheLoop) {
  auto c = client({});
  EXPECT_EQ(c.get("/where/").content, "sync thread");
}

TEST_F(TemplateResponseTest, SyncHandlerRendersToo) {
  auto c = client({duet::handlers::middleware_spec<ContextChanger>("changer")}, /*is_async=*/false);
  EXPECT_EQ(c.get("/deferred/").content, "middleware 3 /deferred/");
  EXPECT_EQ(c.get("/adeferred/").content, "middleware - /adeferred/");
}

TEST_F(TemplateResponseTest, OnlyDeferredResponsesReachTheHook) {
  auto c = client({duet::handlers::middleware_spec<ContextChanger>("changer")});
  auto plain = c.get("/plain/");
  EXPECT_EQ(plain.content, "plain");
  auto now = c.get("/render/");
  EXPECT_EQ(now.status_code, 202);
  EXPECT_EQ(now.content, "render() - /render/");
  EXPECT_EQ(now["content-type"], "text/plain");
  EXPECT_EQ(template_hook_calls.load(), 0);
  c.get("/deferred/");
  EXPECT_EQ(template_hook_calls.load(), 1);
}

TEST_F(TemplateResponseTest, ProcessViewResponsesAreRenderedAfterTheTemplateHook) {
  for (bool is_async : {true, false}) {
    // Listed outermost first: the changer's process_template_response sees the shortcut's response.
    auto c = client({duet::handlers::middleware_spec<ContextChanger>("changer"),
                     duet::handlers::middleware_spec<ViewShortcut>("shortcut")},
                    is_async);
    template_hook_calls = 0;
    auto r = c.get("/plain/");
    EXPECT_EQ(r.status_code, 200);
    EXPECT_EQ(r.content, "middleware - /plain/") << (is_async ? "async" : "sync");
    EXPECT_EQ(template_hook_calls.load(), 1);
  }
}

TEST_F(TemplateResponseTest, RenderErrorsBecomeTheUsualErrorResponse) {
  for (bool is_async : {false, true}) {
    auto c = client({}, is_async);
    EXPECT_EQ(c.get("/broken/").status_code, 500);
  }
}

TEST_F(TemplateResponseTest, RenderingIsDeferredAndHappensOnce) {
  duet::test::RequestFactory factory;
  auto request = factory.get("/x/");
  TemplateResponse response(request, "page.html", {{"who", "me"}});
  EXPECT_FALSE(response.is_rendered());
  EXPECT_THROW(response.content(), std::logic_error);  // Django's ContentNotRenderedError
  int callbacks = 0;
  response.add_post_render_callback([&](HttpResponse&) { ++callbacks; });
  response.data().set("who", "you");
  EXPECT_EQ(response.data().rendered_content(), "you - /x/");
  EXPECT_FALSE(response.is_rendered());
  response.render();
  EXPECT_TRUE(response.is_rendered());
  EXPECT_EQ(response.content(), "you - /x/");
  EXPECT_EQ(callbacks, 1);
  // Rendering again is a no-op, even when the context changed.
  response.data().set("who", "again");
  response.render();
  EXPECT_EQ(response.content(), "you - /x/");
  EXPECT_EQ(callbacks, 1);
  // A callback added after rendering runs at once.
  response.add_post_render_callback([&](HttpResponse&) { ++callbacks; });
  EXPECT_EQ(callbacks, 2);
  // Setting the content counts as rendering.
  TemplateResponse other(request, "page.html");
  other.set_content("manual");
  EXPECT_TRUE(other.is_rendered());
  EXPECT_EQ(other.render().content(), "manual");
  // An ordinary response has nothing to render.
  HttpResponse ordinary("x");
  EXPECT_EQ(template_response(ordinary), nullptr);
  EXPECT_TRUE(ordinary.is_rendered());
  EXPECT_THROW(add_post_render_callback(ordinary, [](HttpResponse&) {}), std::invalid_argument);
}

TEST_F(TemplateResponseTest, SimpleTemplateResponseHasNoRequest) {
  SimpleTemplateResponse response({"page.html"}, {{"who", "simple"}}, 404);
  EXPECT_EQ(response.status_code(), 404);
  EXPECT_EQ(response.render().content(), "simple - ");
}

TEST_F(TemplateResponseTest, Redirect) {
  {
    auto r = duet::redirect("/somewhere/");
    EXPECT_EQ(r.status_code(), 302);
    EXPECT_EQ(r.headers["Location"], "/somewhere/");
  }
  EXPECT_EQ(duet::redirect("https://example.com/x", true).status_code(), 301);
  EXPECT_EQ(duet::redirect("plain", {}).headers["Location"], "/plain/");
  EXPECT_THROW(duet::redirect("no-such-name"), duet::urls::NoReverseMatch);
}
