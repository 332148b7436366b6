#include <gtest/gtest.h>

#include "urlconf.hpp"

using namespace urls_test;

namespace {
std::string rev(std::string_view name, ReverseArgs a = {}) {
  return root()->reverse(name, a);
}
std::string error(std::string_view name, ReverseArgs a = {}) {
  try {
    return "no error: " + rev(name, std::move(a));
  } catch (const NoReverseMatch& e) {
    return e.what();
  }
}
}  // namespace

TEST(Reverse, LikeDjango) {
  // Expected values produced by Django 3.2 with the same URLconf.
  EXPECT_EQ(rev("year", {.kwargs = {{"year", 2003}}}), "/articles/2003/");
  EXPECT_EQ(rev("year", {.args = {1}}), "/articles/1/");
  EXPECT_EQ(rev("blog:post", {.kwargs = {{"year", 1}, {"slug", std::string("a-b")}}}), "/blog/1/a-b/");
  EXPECT_EQ(rev("b2:post", {.kwargs = {{"year", 1}, {"slug", std::string("a-b")}}}), "/b2/1/a-b/");
  EXPECT_EQ(rev("blog:arch", {.kwargs = {{"y", std::string("2020")}}}), "/blog/archive/2020/");
  EXPECT_EQ(rev("blog:arch", {.kwargs = {{"y", std::string("2020")}, {"p", 3}}}),
            "/blog/archive/2020/page-3/");
  EXPECT_EQ(rev("pos", {.args = {5, std::string("ab")}}), "/x/5/ab/");
  EXPECT_EQ(rev("p", {.kwargs = {{"rest", std::string("a b/c?d")}}}), "/p/a%20b/c%3Fd");
  EXPECT_EQ(rev("blog:index"), "/blog/");
  EXPECT_EQ(rev("b2:index"), "/b2/");
}

TEST(Reverse, NoReverseMatchMessages) {
  EXPECT_EQ(error("year", {.kwargs = {{"year", std::string("x")}}}),
            "Reverse for 'year' with keyword arguments '{'year': 'x'}' not found. 1 pattern(s) tried: "
            "['articles/(?P<year>[0-9]+)/\\\\Z']");
  EXPECT_EQ(error("year"),
            "Reverse for 'year' with no arguments not found. 1 pattern(s) tried: "
            "['articles/(?P<year>[0-9]+)/\\\\Z']");
  EXPECT_EQ(error("year", {.args = {1, 2}}),
            "Reverse for 'year' with arguments '(1, 2)' not found. 1 pattern(s) tried: "
            "['articles/(?P<year>[0-9]+)/\\\\Z']");
  EXPECT_EQ(error("nope"),
            "Reverse for 'nope' not found. 'nope' is not a valid view function or pattern name.");
  EXPECT_EQ(error("zz:year"), "'zz' is not a registered namespace");
  EXPECT_EQ(error("blog:zz:x"), "'zz' is not a registered namespace inside 'blog'");
  EXPECT_THROW(rev("year", {.args = {1}, .kwargs = {{"year", 1}}}), std::invalid_argument);
}

TEST(Reverse, LastDefinitionFirstAndArgumentCountPicks) {
  auto r = make_resolver({
      path("one/<int:a>/", ViewName("v1"), "same"),
      path("two/<int:a>/<int:b>/", ViewName("v2"), "same"),
      path("three/<int:a>/", ViewName("v3"), "same"),
  });
  EXPECT_EQ(r->reverse("same", {.args = {1}}), "/three/1/");
  EXPECT_EQ(r->reverse("same", {.args = {1, 2}}), "/two/1/2/");
}

TEST(Reverse, PrefixesAndEscaping) {
  auto r = make_resolver({path("<str:a>/", ViewName("v"), "v")});
  EXPECT_EQ(r->reverse("v", {.args = {std::string("caf\xC3\xA9")}}), "/caf%C3%A9/");
  EXPECT_EQ(r->reverse("v", {.args = {std::string("x")}, .prefix = "/mount/"}), "/mount/x/");
  auto slashes = make_resolver({re_path("^(?P<p>.*)$", ViewName("v"), "any")});
  EXPECT_EQ(slashes->reverse("any", {.kwargs = {{"p", std::string("/evil.com")}}}), "/%2Fevil.com");
  // A value the converter's regex refuses cannot be reversed.
  EXPECT_THROW(r->reverse("v", {.args = {std::string("a/b")}}), NoReverseMatch);
}

TEST(Reverse, NestedNamespacesAndConvertersInPrefix) {
  auto inner = UrlPatterns{path("item/<int:id>/", ViewName("item"), "item")};
  auto r = make_resolver({
      path("shop/<slug:shop>/", include({path("", include(inner, "items"))}, "shops")),
  });
  auto m = r->resolve("/shop/acme/item/7/");
  EXPECT_EQ(m.view_name(), "shops:items:item");
  EXPECT_EQ(m.kwarg<std::string>("shop"), "acme");
  EXPECT_EQ(m.kwarg<int>("id"), 7);
  EXPECT_EQ(r->reverse("shops:items:item", {.kwargs = {{"shop", std::string("acme")}, {"id", 7}}}),
            "/shop/acme/item/7/");
}
