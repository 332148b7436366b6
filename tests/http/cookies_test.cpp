#include "duet/http/cookies.hpp"

#include <gtest/gtest.h>

#include "duet/http/response.hpp"

using namespace duet::http;

TEST(Cookies, ParseCookieLikeDjango) {
  auto c = parse_cookie("a=b; c=\"d e\"; f; =g; h=\\\"\\101\\\"; i=\"x\\073y\"");
  // Django 3.2: {'a': 'b', 'c': 'd e', '': 'g', 'h': '\\"\\101\\"', 'i': 'x;y'}
  EXPECT_EQ(c.size(), 5u);
  EXPECT_EQ(c["a"], "b");
  EXPECT_EQ(c["c"], "d e");
  EXPECT_EQ(c[""], "g");
  EXPECT_EQ(c["h"], "\\\"\\101\\\"");
  EXPECT_EQ(c["i"], "x;y");
  EXPECT_TRUE(parse_cookie("").empty());
  EXPECT_TRUE(parse_cookie(";;  ; ").empty());
}

TEST(Cookies, SetCookieWithEveryAttribute) {
  HttpResponse r;
  r.set_cookie(
      "k", "v w",
      {.max_age = 10, .path = "/p", .domain = "d.com", .secure = true, .httponly = true, .samesite = "Lax"});
  ASSERT_EQ(r.cookies().size(), 1u);
  auto out = r.cookies()[0].output();
  EXPECT_EQ(out.substr(0, 25), "k=\"v w\"; Domain=d.com; ex");
  EXPECT_NE(out.find("GMT; HttpOnly; Max-Age=10; Path=/p; SameSite=Lax; Secure"), std::string::npos) << out;
}

TEST(Cookies, QuotingAndExpiresString) {
  HttpResponse r;
  r.set_cookie("e", "\"quoted;\"", {.expires = std::string("Wed, 21 Oct 2015 07:28:00 GMT")});
  EXPECT_EQ(r.cookies()[0].output(),
            "e=\"\\\"quoted\\073\\\"\"; expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/");
}

TEST(Cookies, DeleteCookieLikeDjango) {
  HttpResponse r;
  r.delete_cookie("__Host-x");
  r.delete_cookie("y", "/", std::nullopt, "None");
  ASSERT_EQ(r.cookies().size(), 2u);
  EXPECT_EQ(r.cookies()[0].output(),
            "__Host-x=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Secure");
  EXPECT_EQ(r.cookies()[1].output(),
            "y=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=None; Secure");
  auto headers = r.serialize_headers();
  EXPECT_EQ(std::count_if(headers.begin(), headers.end(), [](auto& h) { return h.first == "Set-Cookie"; }),
            2);
}

TEST(Cookies, ExpiresTimePointBecomesMaxAge) {
  HttpResponse r;
  r.set_cookie("t", "1", {.expires = std::chrono::system_clock::now() + std::chrono::hours(1)});
  ASSERT_TRUE(r.cookies()[0].max_age);
  EXPECT_GE(*r.cookies()[0].max_age, 3599);
  EXPECT_LE(*r.cookies()[0].max_age, 3601);
}

TEST(Cookies, RejectsBadNameAndSamesite) {
  HttpResponse r;
  EXPECT_THROW(r.set_cookie("bad name", "v"), std::invalid_argument);
  EXPECT_THROW(r.set_cookie("k", "v", {.samesite = "sometimes"}), std::invalid_argument);
  r.set_cookie("k", "1");
  r.set_cookie("k", "2");
  EXPECT_EQ(r.cookies().size(), 1u);
  EXPECT_EQ(r.cookies()[0].value, "2");
}

TEST(Cookies, HttpDate) {
  EXPECT_EQ(http_date(std::chrono::system_clock::from_time_t(1445412480)), "Wed, 21 Oct 2015 07:28:00 GMT");
}
