#include "duet/http/querydict.hpp"

#include <gtest/gtest.h>

#include "duet/http/encoding.hpp"
#include "duet/http/exceptions.hpp"

using namespace duet::http;

using Lists = std::vector<std::pair<std::string, std::vector<std::string>>>;

TEST(QueryDict, ParsesLikeDjango) {
  // Expected values produced by Django 3.2's QueryDict.
  EXPECT_EQ(QueryDict("a=1&a=2&b=3").lists(), (Lists{{"a", {"1", "2"}}, {"b", {"3"}}}));
  EXPECT_EQ(QueryDict("a;b=2").lists(), (Lists{{"a;b", {"2"}}}));
  EXPECT_EQ(QueryDict("a=1;b=2").lists(), (Lists{{"a", {"1;b=2"}}}));
  EXPECT_EQ(QueryDict("&&a").lists(), (Lists{{"a", {""}}}));
  EXPECT_EQ(QueryDict("x=%ZZ&y=%E9").lists(), (Lists{{"x", {"%ZZ"}}, {"y", {"\xEF\xBF\xBD"}}}));
  EXPECT_EQ(QueryDict("=v").lists(), (Lists{{"", {"v"}}}));
  EXPECT_EQ(QueryDict("a+b=c+d").lists(), (Lists{{"a b", {"c d"}}}));
  EXPECT_EQ(QueryDict("k=%26%3D").lists(), (Lists{{"k", {"&="}}}));
  EXPECT_TRUE(QueryDict("").empty());
}

TEST(QueryDict, LastValueWinsAndGetlistHasAll) {
  QueryDict q("a=1&a=2");
  EXPECT_EQ(q["a"], "2");
  EXPECT_EQ(q.getlist("a"), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(q.getlist("zz").empty());
  EXPECT_EQ(q.get("zz", "dflt"), "dflt");
  EXPECT_FALSE(q.get("zz"));
  EXPECT_THROW(q["zz"], MultiValueDictKeyError);
}

TEST(QueryDict, ImmutableUnlessCopied) {
  QueryDict q("a=1");
  EXPECT_FALSE(q.is_mutable());
  EXPECT_THROW(q.set("a", "2"), ImmutableError);
  EXPECT_THROW(q.appendlist("a", "2"), ImmutableError);
  EXPECT_THROW(q.poplist("a"), ImmutableError);
  auto c = q.copy();
  EXPECT_TRUE(c.is_mutable());
  c.appendlist("a", "2");
  c.set("b", "x");
  EXPECT_EQ(c.getlist("a").size(), 2u);
  EXPECT_EQ(q.getlist("a").size(), 1u);
  EXPECT_EQ(c.pop("b"), "x");
  EXPECT_FALSE(c.contains("b"));
}

TEST(QueryDict, UrlencodeMatchesDjango) {
  QueryDict d;
  d.setlist("a", {"1", "x y", "\xC3\xA9"});
  d.set("b", "/&");
  EXPECT_EQ(d.urlencode(), "a=1&a=x+y&a=%C3%A9&b=%2F%26");
  EXPECT_EQ(d.urlencode("/"), "a=1&a=x%20y&a=%C3%A9&b=/%26");
}

TEST(QueryDict, FieldLimitRaisesTooManyFieldsSent) {
  EXPECT_NO_THROW(QueryDict("a=1&b=2", false, 2));
  EXPECT_THROW(QueryDict("a=1&b=2&c=3", false, 2), TooManyFieldsSent);
  // Python counts separators, so empty fields count too.
  EXPECT_THROW(QueryDict("a=1&&&", false, 2), TooManyFieldsSent);
  EXPECT_NO_THROW(QueryDict("a=1&b=2&c=3", false, std::nullopt));
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(TooManyFieldsSent())), 400);
}

TEST(QueryDict, Fromkeys) {
  auto q = QueryDict::fromkeys({"a", "b", "a"}, "v");
  EXPECT_EQ(q.getlist("a"), (std::vector<std::string>{"v", "v"}));
  EXPECT_EQ(q.urlencode(), "a=v&a=v&b=v");
}

TEST(Encoding, QuoteAndUtf8) {
  EXPECT_EQ(quote("a b/c~"), "a%20b/c~");
  EXPECT_EQ(quote_plus("a b/c"), "a+b%2Fc");
  EXPECT_EQ(percent_decode("%41%4"), "A%4");
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // a surrogate
  EXPECT_EQ(to_valid_utf8("a\xFF"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(iri_to_uri("/blog/caf\xC3\xA9/?q=a b&x=%20"), "/blog/caf%C3%A9/?q=a%20b&x=%20");
}
