// The C++ surface: context values of every kind, exposed structs, loaders and the cache, hooks, errors.
#include <duet/template/engine.hpp>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace duet::templates;

namespace {

struct Book {
  std::string title;
  int pages = 0;
  std::vector<std::string> authors;
};

}  // namespace

template <>
struct duet::templates::Expose<Book> {
  static void describe(Attributes<Book>& a) {
    a.name("Book")
        .attr("title", &Book::title)
        .attr("pages", &Book::pages)
        .attr("authors", &Book::authors)
        .attr("is_long", [](const Book& b) { return b.pages > 300; })
        .str([](const Book& b) { return "Book: " + b.title; });
  }
};

namespace {

std::string render(const std::string& src, Context ctx, EngineOptions opts = {}) {
  Engine e(std::move(opts));
  return e.from_string(src)->render(ctx);
}

TEST(Values, ScalarsAndStrings) {
  Context ctx{{"i", 42}, {"u", 7u}, {"d", 2.5}, {"b", false}, {"s", std::string("x<y")}, {"n", nullptr}};
  EXPECT_EQ(render("{{ i }} {{ u }} {{ d }} {{ b }} {{ s }} {{ n }}", ctx), "42 7 2.5 False x&lt;y None");
}

TEST(Values, ContainersOptionalAndMaps) {
  std::vector<int> v{3, 1, 2};
  std::map<std::string, std::string> m{{"a", "1"}, {"b", "2"}};
  std::unordered_map<std::string, int> um{{"k", 9}};
  std::optional<int> some = 5, none;
  Context ctx{{"v", v}, {"m", m}, {"um", um}, {"some", some}, {"none", none}};
  EXPECT_EQ(render("{{ v.1 }} {{ v|length }} {% for k, x in m.items %}{{ k }}{{ x }}{% endfor %} {{ um.k }} "
                   "{{ some }} {{ none|default_if_none:'-' }}",
                   ctx),
            "1 3 a1b2 9 5 -");
}

TEST(Values, BoostJson) {
  Context ctx(boost::json::parse(R"({"user": {"name": "ann", "roles": ["a", "b"]}, "n": 3.0})"));
  EXPECT_EQ(render("{{ user.name }} {{ user.roles.1 }} {{ user.roles|join:'+' }} {{ n }}", ctx),
            "ann b a+b 3.0");
  Context one{{"j", boost::json::value{{"k", "v"}}}};
  EXPECT_EQ(render("{{ j.k }}", one), "v");
}

TEST(Values, CallablesAreCalledOnLookup) {
  int calls = 0;
  Context ctx{{"f", std::function<Value()>([&] {
                 ++calls;
                 return Value(Dict{{"x", "called"}});
               })}};
  EXPECT_EQ(render("{{ f.x }}", ctx), "called");
  EXPECT_EQ(calls, 1);
}

TEST(Values, ExposedStruct) {
  Book b{"Dune", 412, {"Frank Herbert"}};
  Context ctx{{"book", b}, {"books", std::vector<Book>{b, Book{"Short", 10, {}}}}};
  EXPECT_EQ(
      render(
          "{{ book.title }} {{ book.pages }} {{ book.authors.0 }} {{ book.is_long }} {{ book }} "
          "{{ book.nope }}|{% for x in books %}{{ x.title }}{% if not x.is_long %}!{% endif %}{% endfor %}",
          ctx),
      "Dune 412 Frank Herbert True Book: Dune |DuneShort!");
  // A reference to a caller-owned struct: no copy.
  Context ref{{"book", Value::ref(b)}};
  b.title = "Changed";
  EXPECT_EQ(render("{{ book.title }}", ref), "Changed");
}

TEST(Values, SafeStringsFromCpp) {
  Context ctx{{"h", mark_safe("<b>bold</b>")}, {"raw", "<b>"}};
  EXPECT_EQ(render("{{ h }} {{ raw }} {{ h|lower }} {{ h|upper }}", ctx),
            "<b>bold</b> &lt;b&gt; <b>bold</b> &lt;B&gt;BOLD&lt;/B&gt;");  // upper is not is_safe in Django
}

TEST(Options, StringIfInvalid) {
  EngineOptions o;
  o.string_if_invalid = "INVALID(%s)";
  EXPECT_EQ(render("[{{ nope.x }}] {% if nope %}x{% endif %}{% for a in nope %}a{% endfor %}", {}, o),
            "[INVALID(nope.x)] ");
}

TEST(Options, AutoescapeOff) {
  EngineOptions o;
  o.autoescape = false;
  Context ctx{{"h", "<b>"}};
  EXPECT_EQ(render("{{ h }}{% autoescape on %}{{ h }}{% endautoescape %}", ctx, o), "<b>&lt;b&gt;");
  EXPECT_TRUE(ctx.autoescape());  // the caller's context is left as it was
}

TEST(Options, CustomLibraryBuiltinAndLoad) {
  auto lib = std::make_shared<Library>();
  lib->filter("double", [](const Value& v) { return Value(v.as_int() * 2); });
  lib->filter("wrap",
              [](const Value& v, const Value& arg) { return Value(arg.str() + v.str() + arg.str()); });
  lib->simple_tag("sum", [](Context&, const List& args, const Dict& kwargs) {
    std::int64_t s = 0;
    for (const auto& a : args)
      s += a.as_int();
    for (const auto& [k, v] : kwargs)
      s += v.as_int();
    return Value(s);
  });
  EngineOptions o;
  o.libraries["mylib"] = lib;
  EXPECT_EQ(
      render(
          "{% load mylib %}{{ 4|double }} {{ 'x'|wrap:'*' }} {% sum 1 2 extra=3 %} {% sum 5 as t %}[{{ t }}]",
          {}, o),
      "8 *x* 6 [5]");
  EXPECT_THROW(render("{{ 4|double }}", {}, o), TemplateSyntaxError);
  o.builtins.push_back(lib);
  EXPECT_EQ(render("{{ 4|double }}", {}, o), "8");
}

TEST(Hooks, UrlReverserAndCsrf) {
  EngineOptions o;
  o.url_reverser = [](std::string_view name, const List& args,
                      const Dict& kwargs) -> std::optional<std::string> {
    if (name != "article") return std::nullopt;
    std::string url = "/articles/";
    for (const auto& a : args)
      url += a.str() + "/";
    for (const auto& [k, v] : kwargs)
      url += k + "=" + v.str() + "/";
    return url;
  };
  Context ctx{{"id", 7}, {"csrf_token", "tok"}};
  EXPECT_EQ(render("{% url 'article' id %} {% url 'article' slug='a&b' %} {% url 'nope' as u %}[{{ u }}] "
                   "{% csrf_token %}",
                   ctx, o),
            "/articles/7/ /articles/slug=a&amp;b/ [] "
            "<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"tok\">");
  EXPECT_THROW(render("{% url 'nope' %}", {}, o), TemplateRenderError);
  EXPECT_THROW(render("{% url 'article' %}", {}), TemplateRenderError);  // no reverser configured
}

class Dirs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("duet_tpl_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "app");
    write("app/base.html", "<{% block a %}base{% endblock %}>");
    write("app/child.html", "{% extends 'app/base.html' %}{% block a %}child {{ v }}{% endblock %}");
    write("app/broken.html", "line 1\nline 2\n{% if x %}\n{% endfor %}");
    write("app/self.html", "{% include 'app/self.html' %}");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::filesystem::path dir_;
};

TEST_F(Dirs, LoadsAndCaches) {
  EngineOptions o;
  o.dirs = {dir_};
  Engine e(o);
  auto t1 = e.get_template("app/child.html");
  EXPECT_EQ(t1, e.get_template("app/child.html"));  // compiled once
  Context ctx{{"v", 1}};
  EXPECT_EQ(t1->render(ctx), "<child 1>");
  EXPECT_THROW(e.get_template("app/missing.html"), TemplateDoesNotExist);
  EXPECT_THROW(e.get_template("../etc/passwd"), TemplateDoesNotExist);
  EXPECT_THROW(e.get_template("/etc/passwd"), TemplateDoesNotExist);
  EXPECT_EQ(e.select_template({"nope.html", "app/base.html"})->name(), "app/base.html");
}

TEST_F(Dirs, SyntaxErrorNamesTemplateAndLine) {
  EngineOptions o;
  o.dirs = {dir_};
  Engine e(o);
  try {
    e.get_template("app/broken.html");
    FAIL() << "no error";
  } catch (const TemplateSyntaxError& err) {
    EXPECT_EQ(err.template_name(), "app/broken.html");
    EXPECT_EQ(err.line(), 4);
    EXPECT_NE(std::string(err.what()).find("app/broken.html, line 4"), std::string::npos) << err.what();
  }
}

TEST_F(Dirs, SelfInclusionIsAnErrorNotACrash) {
  EngineOptions o;
  o.dirs = {dir_};
  Engine e(o);
  Context ctx;
  EXPECT_THROW(e.get_template("app/self.html")->render(ctx), TemplateRenderError);
}

TEST_F(Dirs, SharedAcrossThreads) {
  EngineOptions o;
  o.dirs = {dir_};
  Engine e(o);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Context ctx{{"v", t}};
        if (e.get_template("app/child.html")->render(ctx) == "<child " + std::to_string(t) + ">") ++ok;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(ok.load(), 800);
}

// A template handed out keeps its engine (it renders {% include %} through it), and the engine its cache of
// templates: nothing may keep both alive once neither is held (they used to hold each other, so every Engine
// leaked with its cached templates).
TEST(Cache, TemplatesAndTheirEngineAreFreedWhenNeitherIsHeld) {
  EngineOptions options;
  options.templates["base.html"] = "[{% block b %}base{% endblock %}]";
  options.templates["page.html"] =
      "{% extends 'base.html' %}{% block b %}{% include 'part.html' %}{% endblock %}";
  options.templates["part.html"] = "part {{ n }}";
  std::weak_ptr<const Template> page_watch, part_watch;
  std::shared_ptr<const Template> page;
  {
    Engine engine(options);
    page = engine.get_template("page.html");
    EXPECT_EQ(page, engine.get_template("page.html"));  // cached: the same template
    part_watch = engine.get_template("part.html");
    page_watch = page;
    engine.clear_cache();  // its templates stay valid for those who hold one
    EXPECT_NE(page, engine.get_template("page.html"));
  }
  // The Engine is gone; the template it gave still renders, through the engine it keeps.
  Context context{{"n", 7}};
  EXPECT_EQ(page->render(context), "[part 7]");
  EXPECT_FALSE(part_watch.expired());
  page.reset();
  EXPECT_TRUE(page_watch.expired());
  EXPECT_TRUE(part_watch.expired());

  // Without the cache, each template owns the engine alone.
  options.cache = false;
  {
    Engine engine(options);
    page = engine.get_template("page.html");
    EXPECT_NE(page, engine.get_template("page.html"));
    page_watch = page;
  }
  EXPECT_EQ(page->render(context), "[part 7]");
  page.reset();
  EXPECT_TRUE(page_watch.expired());
}

TEST(Errors, BoundedNestingAndBadUnpacking) {
  std::string deep;
  for (int i = 0; i < 1000; ++i)
    deep += "{% if x %}";
  EXPECT_THROW(render(deep, {}), TemplateSyntaxError);
  EXPECT_THROW(render("{% for a, b in l %}{% endfor %}", Context{{"l", std::vector<int>{1}}}),
               TemplateRenderError);
  EXPECT_THROW(render("{% if %}{% endif %}", {}), TemplateSyntaxError);
}

TEST(Context, PushPopAndReuse) {
  Context ctx{{"x", 1}};
  auto t = Engine().from_string(
      "{% with x=2 %}{{ x }}{% endwith %}{{ x }}{% for x in l %}{{ x }}{% endfor %}{{ x }}");
  ctx.set("l", std::vector<int>{7, 8});
  EXPECT_EQ(t->render(ctx), "21781");
  EXPECT_EQ(t->render(ctx), "21781");  // rendering leaves the context as it found it
  EXPECT_EQ(ctx.depth(), 1u);
}

}  // namespace
