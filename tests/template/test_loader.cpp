// settings.TEMPLATES → engines; get_template / select_template / render_to_string with a request;
// {% url %} through the urls layer.
#include <gtest/gtest.h>

#include <duet/conf/settings.hpp>
#include <duet/http/request.hpp>
#include <duet/template/loader.hpp>
#include <duet/test/request_factory.hpp>
#include <duet/urls/resolvers.hpp>

#include <filesystem>
#include <fstream>

using namespace duet::templates;
using duet::conf::Settings;
using duet::conf::SettingsOverride;
using duet::conf::TemplateSettings;

namespace {

// A directory of template files for one test, removed afterwards.
class TemplateDir {
 public:
  TemplateDir() {
    static int n = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("duet-tmpl-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::create_directories(path_);
  }
  ~TemplateDir() { std::filesystem::remove_all(path_); }
  void write(const std::string& name, const std::string& source) const {
    std::filesystem::create_directories((path_ / name).parent_path());
    std::ofstream(path_ / name, std::ios::binary) << source;
  }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

Settings with_templates(std::vector<TemplateSettings> entries) {
  Settings s;
  s.TEMPLATES = std::move(entries);
  return s;
}

TemplateSettings entry(const TemplateDir& dir) {
  TemplateSettings t;
  t.DIRS = {dir.str()};
  return t;
}

}  // namespace

TEST(Loader, BuildsEnginesFromSettingsAndLoadsFromDirs) {
  TemplateDir dir;
  dir.write("hello.html", "Hello {{ name }}{{ missing }}!");
  dir.write("sub/page.html", "{% include 'hello.html' %}");
  SettingsOverride s(with_templates({entry(dir)}));
  EXPECT_EQ(render_to_string("hello.html", {{"name", "<b>"}}), "Hello &lt;b&gt;!");
  EXPECT_EQ(render_to_string("sub/page.html", {{"name", "Ada"}}), "Hello Ada!");
  EXPECT_EQ(get_template("hello.html").name(), "hello.html");
  EXPECT_EQ((*engines())["django"].name(), "django");
  EXPECT_THROW((*engines())["jinja2"], InvalidTemplateEngineError);
  EXPECT_THROW(get_template("nope.html"), TemplateDoesNotExist);
  EXPECT_EQ(select_template({"nope.html", "hello.html"}).name(), "hello.html");
  try {
    select_template({"a.html", "b.html"});
    FAIL();
  } catch (const TemplateDoesNotExist& e) {
    EXPECT_STREQ(e.what(), "a.html, b.html");
  }
  EXPECT_THROW(select_template({}), TemplateDoesNotExist);
}

TEST(Loader, OptionsReachTheEngine) {
  TemplateDir dir;
  dir.write("t.html", "{{ x }}|{{ nope }}|{% load shout %}{{ 'a'|shout }}{{ 'b'|twice }}");
  auto shout = std::make_shared<Library>();
  shout->filter("shout", [](const Value& v) { return Value(v.str() + "!"); });
  auto twice = std::make_shared<Library>();
  twice->filter("twice", [](const Value& v) { return Value(v.str() + v.str()); });
  register_library("tests.shout", shout);
  register_library("tests.twice", twice);
  auto t = entry(dir);
  t.OPTIONS.autoescape = false;
  t.OPTIONS.string_if_invalid = "INVALID(%s)";
  t.OPTIONS.libraries = {{"shout", "tests.shout"}};
  t.OPTIONS.builtins = {"tests.twice"};
  SettingsOverride s(with_templates({t}));
  EXPECT_EQ(render_to_string("t.html", {{"x", "<i>"}}), "<i>|INVALID(nope)|a!bb");
}

TEST(Loader, BadEntriesAreRefusedClearly) {
  TemplateDir dir;
  auto app_dirs = entry(dir);
  app_dirs.APP_DIRS = true;
  {
    SettingsOverride s(with_templates({app_dirs}));
    EXPECT_THROW(engines(), InvalidTemplateEngineError);
  }
  auto lib = entry(dir);
  lib.OPTIONS.libraries = {{"x", "not.registered"}};
  {
    SettingsOverride s(with_templates({lib}));
    EXPECT_THROW(engines(), InvalidTemplateEngineError);
  }
  auto backend = entry(dir);
  backend.BACKEND = "django.template.backends.jinja2.Jinja2";
  {
    SettingsOverride s(with_templates({backend}));
    EXPECT_THROW(engines(), InvalidTemplateEngineError);
  }
  {
    SettingsOverride s(with_templates({entry(dir), entry(dir)}));  // both named "django"
    EXPECT_THROW(engines(), InvalidTemplateEngineError);
  }
  {
    SettingsOverride s(with_templates({}));
    EXPECT_THROW(get_template("x.html"), TemplateDoesNotExist);
  }
}

TEST(Loader, EnginesFollowTheSettingsAndSearchInOrder) {
  TemplateDir a, b;
  a.write("only_a.html", "A");
  b.write("only_b.html", "B");
  b.write("both.html", "from b");
  a.write("both.html", "from a");
  auto second = entry(b);
  second.NAME = "second";
  {
    SettingsOverride s(with_templates({entry(a), second}));
    EXPECT_EQ(render_to_string("only_b.html"), "B");
    EXPECT_EQ(render_to_string("both.html"), "from a");
    EXPECT_EQ(render_to_string("both.html", {}, nullptr, "second"), "from b");
    EXPECT_THROW(render_to_string("only_a.html", {}, nullptr, "second"), TemplateDoesNotExist);
    EXPECT_THROW(render_to_string("both.html", {}, nullptr, "nope"), InvalidTemplateEngineError);
  }
  {
    SettingsOverride s(with_templates({entry(b)}));
    EXPECT_EQ(render_to_string("both.html"), "from b");
  }
}

TEST(Loader, DebugEngineReloadsEditedTemplates) {
  TemplateDir dir;
  dir.write("t.html", "one");
  auto cached = entry(dir);
  cached.OPTIONS.debug = false;
  {
    SettingsOverride s(with_templates({cached}));
    EXPECT_EQ(render_to_string("t.html"), "one");
    dir.write("t.html", "two");
    EXPECT_EQ(render_to_string("t.html"), "one");  // compiled once, kept
  }
  dir.write("t.html", "one");
  auto s1 = with_templates({entry(dir)});
  s1.DEBUG = true;  // OPTIONS.debug unset: follows DEBUG
  SettingsOverride s(s1);
  EXPECT_EQ(render_to_string("t.html"), "one");
  dir.write("t.html", "two");
  EXPECT_EQ(render_to_string("t.html"), "two");
}

TEST(Loader, RequestContextProcessorsAndCsrf) {
  TemplateDir dir;
  dir.write("r.html",
            "{{ request.method }} {{ request.path }} {{ request.GET.q }} {{ who }}|{% csrf_token %}");
  register_context_processor("tests.who", [](duet::http::HttpRequest& r) {
    return Dict{{"who", "processor"}, {"path_seen", r.path}};
  });
  auto t = entry(dir);
  t.OPTIONS.context_processors = {"django.template.context_processors.request", "tests.who"};
  SettingsOverride s(with_templates({t}));
  auto request = duet::test::RequestFactory().get("/p/", {{"q", "x&y"}});
  EXPECT_EQ(render_to_string("r.html", {}, &request), "GET /p/ x&amp;y processor|");
  // The context's own values win over the processors'.
  EXPECT_EQ(render_to_string("r.html", {{"who", "view"}}, &request), "GET /p/ x&amp;y view|");
  request.attrs["csrf_token"] = std::string("tok\"en");
  EXPECT_EQ(
      render_to_string("r.html", {}, &request),
      "GET /p/ x&amp;y processor|<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"tok&quot;en\">");
  // Without a request, no processor runs.
  EXPECT_EQ(render_to_string("r.html"), "   |");
}

namespace {
duet::http::HttpResponse ok(duet::http::HttpRequest&) {
  return duet::http::HttpResponse("ok");
}
void register_test_urls() {
  using duet::urls::include;
  using duet::urls::path;
  static bool done = [] {
    duet::urls::register_urlconf("template_url_tests",
                                 {
                                     path("", ok, "home"),
                                     path("articles/<int:year>/<slug:slug>/", ok, "article"),
                                     path("blog/", include({path("post/<int:pk>/", ok, "post")}, "blog")),
                                 });
    return true;
  }();
  (void)done;
}
}  // namespace

TEST(UrlTag, ReversesThroughTheUrlconf) {
  register_test_urls();
  TemplateDir dir;
  dir.write("u.html",
            "{% url 'home' %} {% url 'article' 2024 'hello-world' %} {% url 'article' year=y slug=s %} "
            "{% url 'blog:post' pk=7 %} {% url name 3 %}|{% url 'blog:post' 5 as link %}[{{ link }}]");
  auto settings = with_templates({entry(dir)});
  settings.ROOT_URLCONF = "template_url_tests";
  SettingsOverride s(settings);
  EXPECT_EQ(
      render_to_string("u.html", {{"y", 1999}, {"s", "party"}, {"name", "blog:post"}}),
      "/ /articles/2024/hello-world/ /articles/1999/party/ /blog/post/7/ /blog/post/3/|[/blog/post/5/]");
}

TEST(UrlTag, NoReverseMatchSurfacesUnlessAssigned) {
  register_test_urls();
  TemplateDir dir;
  dir.write("bad.html", "{% url 'article' 'not-a-year' 'x' %}");
  dir.write("missing.html", "{% url 'nope' %}");
  dir.write("as.html", "{% url 'nope' as u %}[{{ u }}]");
  auto settings = with_templates({entry(dir)});
  settings.ROOT_URLCONF = "template_url_tests";
  SettingsOverride s(settings);
  EXPECT_THROW(render_to_string("bad.html"), duet::urls::NoReverseMatch);
  try {
    render_to_string("missing.html");
    FAIL();
  } catch (const duet::urls::NoReverseMatch& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(render_to_string("as.html"), "[]");
}
