#include <gtest/gtest.h>

#include <boost/uuid/uuid_io.hpp>
#include <random>

#include "urlconf.hpp"

using namespace urls_test;

TEST(Resolve, RouteWithIntConverter) {
  auto m = root()->resolve("/articles/2003/");
  EXPECT_EQ(m.view<ViewName>(), "year");
  EXPECT_TRUE(m.args.empty());
  EXPECT_EQ(m.kwarg<std::int64_t>("year"), 2003);
  EXPECT_EQ(m.kwarg<int>("year"), 2003);
  EXPECT_EQ(m.kwarg<std::string>("year"), "2003");
  EXPECT_THROW(m.kwarg<std::uint8_t>("year"), std::invalid_argument);  // out of range
  EXPECT_THROW(m.kwarg<int>("nope"), std::out_of_range);
  EXPECT_EQ(m.url_name, "year");
  EXPECT_EQ(m.namespace_(), "");
  EXPECT_EQ(m.view_name(), "year");
  EXPECT_EQ(m.route, "articles/<int:year>/");
}

TEST(Resolve, IncludeWithAppNamespace) {
  auto m = root()->resolve("/blog/3/x-y/");
  EXPECT_EQ(m.view<ViewName>(), "post");
  EXPECT_EQ(m.kwarg<int>("year"), 3);
  EXPECT_EQ(m.kwarg<std::string>("slug"), "x-y");
  EXPECT_EQ(m.namespace_(), "blog");
  EXPECT_EQ(m.app_name(), "blog");
  EXPECT_EQ(m.view_name(), "blog:post");
  EXPECT_EQ(m.route, "blog/<int:year>/<slug:slug>/");
  auto b2 = root()->resolve("/b2/");
  EXPECT_EQ(b2.url_name, "index");
  EXPECT_EQ(b2.namespace_(), "b2");
  EXPECT_EQ(b2.app_name(), "blog");
  EXPECT_EQ(b2.view_name(), "b2:index");
}

TEST(Resolve, RegexPositionalAndOptionalGroups) {
  auto m = root()->resolve("/x/12/ab/");
  EXPECT_EQ(m.args, (std::vector<std::string>{"12", "ab"}));
  EXPECT_TRUE(m.kwargs.empty());
  EXPECT_EQ(m.route, R"(^x/(\d+)/(\w+)/$)");
  auto a = root()->resolve("/blog/archive/2020/");
  EXPECT_EQ(a.kwarg<std::string>("y"), "2020");
  EXPECT_FALSE(a.has_kwarg("p"));  // unmatched optional groups are left out, as Django does
  EXPECT_EQ(root()->resolve("/blog/archive/2020/page-4/").kwarg<std::string>("p"), "4");
  // '$' in Python and here does not match before an embedded newline.
  EXPECT_THROW(root()->resolve("/x/12/ab/\n"), Resolver404);
}

TEST(Resolve, PathAndUuidConverters) {
  EXPECT_EQ(root()->resolve("/p/a/b").kwarg<std::string>("rest"), "a/b");
  auto u = root()->resolve("/u/12345678-1234-5678-1234-567812345678/");
  EXPECT_EQ(boost::uuids::to_string(u.kwarg<boost::uuids::uuid>("id")),
            "12345678-1234-5678-1234-567812345678");
  EXPECT_THROW(root()->resolve("/u/12345678-1234-5678-1234-56781234567Z/"), Resolver404);
  EXPECT_THROW(root()->resolve("/articles/99999999999999999999999/"), Resolver404);  // to_value refused
}

TEST(Resolve, Resolver404ListsTriedPatterns) {
  try {
    root()->resolve("/blog/zz");
    FAIL();
  } catch (const Resolver404& e) {
    EXPECT_EQ(e.path, "blog/zz");
    std::vector<std::vector<std::string>> expected = {
        {"articles/<int:year>/"},
        {"blog/", ""},
        {"blog/", "<int:year>/<slug:slug>/"},
        {"blog/", R"(^archive/(?P<y>[0-9]{4})/(?:page-(?P<p>\d+)/)?$)"},
        {"b2/"},
        {R"(^x/(\d+)/(\w+)/$)"},
        {"p/<path:rest>"},
        {"u/<uuid:id>/"},
    };
    EXPECT_EQ(e.tried, expected);
    EXPECT_EQ(e.status_code(), 404);
  }
}

TEST(Resolve, RouteErrorsAreImproperlyConfigured) {
  auto message = [](std::string route) {
    try {
      path(route, ViewName("v"));
    } catch (const duet::conf::ImproperlyConfigured& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("<foo:x>"), "URL route '<foo:x>' uses invalid converter 'foo'.");
  EXPECT_EQ(message("<int: x>"),
            "URL route '<int: x>' cannot contain whitespace in angle brackets <\xE2\x80\xA6>.");
  EXPECT_EQ(message("<int:1x>"),
            "URL route '<int:1x>' uses parameter name '1x' which isn't a valid Python identifier.");
  EXPECT_THROW(re_path("(unclosed", ViewName("v")), duet::conf::ImproperlyConfigured);
  EXPECT_THROW(include({}, "", "ns"), duet::conf::ImproperlyConfigured);
}

namespace {
// A custom converter: four-digit years, typed as int.
class YearConverter : public Converter {
 public:
  std::string regex() const override { return "[0-9]{4}"; }
  std::any to_value(std::string_view s) const override { return std::stoi(std::string(s)); }
  std::string to_url(const std::any& v) const override {
    auto s = url_value_to_string(v);
    if (s.size() != 4) throw std::invalid_argument("not a year");
    return s;
  }
};
}  // namespace

TEST(Resolve, CustomConverter) {
  register_converter("yyyy", std::make_shared<YearConverter>());
  auto r = make_resolver({path("y/<yyyy:year>/", ViewName("y"), "y")});
  EXPECT_EQ(r->resolve("/y/2024/").kwarg<int>("year"), 2024);
  EXPECT_THROW(r->resolve("/y/24/"), Resolver404);
  EXPECT_EQ(r->reverse("y", {.args = {2024}}), "/y/2024/");
  EXPECT_THROW(r->reverse("y", {.args = {24}}), NoReverseMatch);
}

TEST(Resolve, ExtraKwargsAndRegisteredUrlconf) {
  register_urlconf("test.urls", {path("feed/", ViewName("feed"), "feed", {{"format", std::string("rss")}})});
  duet::conf::Settings s;
  s.ROOT_URLCONF = "test.urls";
  duet::conf::SettingsOverride o(s);
  auto m = resolve("/feed/");
  EXPECT_EQ(m.kwarg<std::string>("format"), "rss");
  EXPECT_EQ(reverse("feed"), "/feed/");
  EXPECT_THROW(get_resolver("missing.urls"), duet::conf::ImproperlyConfigured);
}

// Routes without converters are compared as text: the characters a regex would read specially are literal,
// an endpoint must match the whole rest of the path, and an include() its prefix only.
TEST(Resolve, RoutesWithoutConvertersMatchTheirTextExactly) {
  auto r = make_resolver({
      path("a.b+(c)/", ViewName("dots"), "dots"),
      path("plain/", ViewName("plain"), "plain"),
      path("api/",
           include({path("v1/", ViewName("v1"), "v1"), path("", ViewName("api_index"), "api_index")})),
  });
  EXPECT_EQ(r->resolve("/a.b+(c)/").view<ViewName>(), "dots");
  EXPECT_THROW(r->resolve("/axbb(c)/"), Resolver404);
  EXPECT_EQ(r->resolve("/plain/").view<ViewName>(), "plain");
  EXPECT_THROW(r->resolve("/plain/x"), Resolver404);
  EXPECT_THROW(r->resolve("/plain/\n"), Resolver404);
  EXPECT_THROW(r->resolve("/Plain/"), Resolver404);
  EXPECT_EQ(r->resolve("/api/v1/").view<ViewName>(), "v1");
  EXPECT_EQ(r->resolve("/api/").view<ViewName>(), "api_index");
  EXPECT_THROW(r->resolve("/api/v2/"), Resolver404);
  EXPECT_EQ(r->resolve("/api/v1/").route, "api/v1/");
}

TEST(Resolve, RegexPrefixesOfPlainTextMatchAsTheRegexWould) {
  // "^/" (the root) and "^legacy_v-2/" are compared as text; "^v.1/" stays a regex ('.' is any character).
  auto r = make_resolver({
      re_path("^legacy_v-2/", include({path("items/", ViewName("items"), "items")})),
      re_path("^v.1/", include({path("x/", ViewName("x"), "x")})),
  });
  EXPECT_EQ(r->resolve("/legacy_v-2/items/").view<ViewName>(), "items");
  EXPECT_EQ(r->resolve("/legacy_v-2/items/").route, "^legacy_v-2/items/");
  EXPECT_THROW(r->resolve("/legacy_v-2items/"), Resolver404);
  EXPECT_THROW(r->resolve("/x/legacy_v-2/items/"), Resolver404);
  EXPECT_THROW(r->resolve("legacy_v-2/items/"), Resolver404);  // the root's "^/" needs the slash
  EXPECT_EQ(r->resolve("/vx1/x/").view<ViewName>(), "x");
  EXPECT_EQ(r->resolve("/v.1/x/").view<ViewName>(), "x");
}

// A match also reports what was tried before it, and merges arguments across include() levels as Django
// 3.2 does (expected values from django.urls.resolve on the same URLconf).
TEST(Resolve, MatchAcrossIncludesMergesArgumentsAndListsTriedPatterns) {
  auto inner = [] {
    return UrlPatterns{path("<slug:s>/", ViewName("in"), "in", {{"extra", std::string("inner")}}),
                       re_path(R"(^pos/(\d+)/$)", ViewName("ipos"), "ipos")};
  };
  auto r = make_resolver({
      path("articles/<int:year>/", ViewName("year"), "year"),
      path("blog/", include(blog_patterns(), "blog")),
      path("b2/", include(blog_patterns(), "blog", "b2")),
      path("c/<int:c>/", include(inner())),
      re_path(R"(^d/(\d+)/)", include(inner())),
  });
  auto b2 = r->resolve("/b2/");
  EXPECT_EQ(b2.view_name(), "b2:index");
  EXPECT_EQ(b2.route, "b2/");
  EXPECT_EQ(b2.tried(),
            (std::vector<std::vector<std::string>>{{"articles/<int:year>/"}, {"blog/"}, {"b2/", ""}}));

  auto c = r->resolve("/c/5/zz/");
  ASSERT_EQ(c.kwargs.size(), 3u);
  EXPECT_EQ(c.kwargs[0].first, "c");
  EXPECT_EQ(c.kwarg<int>("c"), 5);
  EXPECT_EQ(c.kwarg<std::string>("extra"), "inner");  // the inner pattern's extra kwargs win
  EXPECT_EQ(c.kwarg<std::string>("s"), "zz");
  EXPECT_TRUE(c.args.empty());
  EXPECT_EQ(c.route, "c/<int:c>/<slug:s>/");
  EXPECT_EQ(c.tried().back(), (std::vector<std::string>{"c/<int:c>/", "<slug:s>/"}));

  auto d = r->resolve("/d/7/pos/9/");
  EXPECT_EQ(d.args, (std::vector<std::string>{"7", "9"}));  // positional groups of both levels, in order
  EXPECT_TRUE(d.kwargs.empty());
  EXPECT_EQ(d.route, R"(^d/(\d+)/pos/(\d+)/$)");
  EXPECT_EQ(d.tried().size(), 6u);
  EXPECT_EQ(d.tried()[3], (std::vector<std::string>{"c/<int:c>/"}));
  EXPECT_EQ(d.tried()[4], (std::vector<std::string>{R"(^d/(\d+)/)", "<slug:s>/"}));
  EXPECT_EQ(d.tried()[5], (std::vector<std::string>{R"(^d/(\d+)/)", R"(^pos/(\d+)/$)"}));

  auto x = r->resolve("/d/7/x/");
  EXPECT_TRUE(x.args.empty());  // keyword arguments present: the positional ones are dropped
  EXPECT_EQ(x.kwarg<std::string>("s"), "x");
  EXPECT_EQ(x.route, R"(^d/(\d+)/<slug:s>/)");
}

namespace {

// The built-in converter `base` under a regex the resolver does not recognise: routes using it always run
// the regex engine.
class SameConverterOtherRegex : public duet::urls::Converter {
 public:
  SameConverterOtherRegex(std::string base, std::string regex)
      : base_(duet::urls::get_converter(base)), regex_(std::move(regex)) {}
  std::string regex() const override { return regex_; }
  std::any to_value(std::string_view segment) const override { return base_->to_value(segment); }
  std::string to_url(const std::any& value) const override { return base_->to_url(value); }

 private:
  std::shared_ptr<const duet::urls::Converter> base_;
  std::string regex_;
};

std::string outcome(const URLResolver& resolver, const std::string& p) {
  try {
    auto m = resolver.resolve(p);
    std::string out = m.url_name;
    for (const auto& [k, v] : m.kwargs)
      out += " " + k + "=" + duet::urls::url_value_to_string(v);
    return out;
  } catch (const Resolver404&) {
    return "404";
  }
}

}  // namespace

// Routes whose converters are scanned without the regex engine resolve every path exactly as the same
// routes run through the regex do (random paths over an alphabet of separators, digits, slug and other
// bytes, including a newline and UTF-8).
TEST(Resolve, ScannedRoutesMatchWhatTheirRegexMatches) {
  register_converter("int_re", std::make_shared<SameConverterOtherRegex>("int", "[0-9]{1,}"));
  register_converter("slug_re", std::make_shared<SameConverterOtherRegex>("slug", "[-a-zA-Z0-9_]{1,}"));
  register_converter("str_re", std::make_shared<SameConverterOtherRegex>("str", "[^/]{1,}"));
  const std::vector<std::string> routes = {
      "a/<T:x>/", "a/<T:x>",  "<T:x>/b/", "<T:x>.<U:y>/",  "<T:x>-<U:y>", "c/<T:x>/<U:y>/",
      "<T:x>1/",  "d<T:x>/e", "<T:x>",    "f/<T:x>_<U:y>", "<T:x><U:y>/",
  };
  const std::vector<std::string> kinds = {"int", "slug", "str"};
  auto build = [&](bool via_regex, bool endpoints) {
    UrlPatterns patterns;
    int n = 0;
    for (const auto& route : routes) {
      for (const auto& t : kinds) {
        for (const auto& u : kinds) {
          std::string r = route;
          auto put = [&](const std::string& marker, const std::string& kind) {
            if (auto at = r.find(marker); at != std::string::npos)
              r.replace(at, marker.size(), "<" + kind + (via_regex ? "_re" : "") + ":");
          };
          put("<T:", t);
          put("<U:", u);
          std::string name = "r" + std::to_string(n++);
          if (endpoints) {
            patterns.push_back(path(r, ViewName(name), name));
          } else {
            patterns.push_back(path(
                r, include({path("", ViewName(name), name), path("z/", ViewName(name + "z"), name + "z")})));
          }
        }
      }
    }
    return make_resolver(std::move(patterns));
  };
  const std::string alphabet[] = {"a",
                                  "b",
                                  "c",
                                  "d",
                                  "e",
                                  "f",
                                  "1",
                                  "2",
                                  "0",
                                  "/",
                                  ".",
                                  "-",
                                  "_",
                                  "z",
                                  "\n",
                                  "\xC3\xA9",
                                  "99999999999999999999"};
  std::mt19937 random(20261126);
  int matched = 0;
  for (bool endpoints : {true, false}) {
    auto scanned = build(false, endpoints);
    auto regex = build(true, endpoints);
    for (int i = 0; i < 4000; ++i) {
      std::string p = "/";
      const int length = static_cast<int>(random() % 10);
      for (int k = 0; k < length; ++k)
        p += alphabet[random() % std::size(alphabet)];
      const std::string found = outcome(*scanned, p);
      ASSERT_EQ(found, outcome(*regex, p)) << "path " << p;
      matched += found != "404";
    }
  }
  EXPECT_GT(matched, 1000);  // the comparison covers matches, not only 404s
}

// Routing runs for every request: the match hands back the URLconf's own view object rather than a copy.
TEST(Resolve, MatchRefersToTheUrlconfsViewWithoutCopyingIt) {
  auto r = make_resolver({path("blog/", include({path("<int:year>/", ViewName("year"), "year")}))});
  const auto& stored = r->url_patterns()[0].resolver()->url_patterns()[0].pattern()->view();
  auto m = r->resolve("/blog/2024/");
  EXPECT_EQ(&m.func(), &stored);
  EXPECT_EQ(&m.view<ViewName>(), std::any_cast<ViewName>(&stored));
  EXPECT_FALSE(ResolverMatch().func().has_value());
}
