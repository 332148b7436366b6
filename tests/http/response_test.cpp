#include "duet/http/response.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>

#include "duet/http/exceptions.hpp"
#include "duet/http/json_response.hpp"

using namespace duet::http;

TEST(HttpResponse, Defaults) {
  HttpResponse r("hi");
  EXPECT_EQ(r.status_code(), 200);
  EXPECT_EQ(r.reason_phrase(), "OK");
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(r.charset(), "utf-8");
  EXPECT_EQ(r.content(), "hi");
  r.write(" there");
  EXPECT_EQ(r.content(), "hi there");
  EXPECT_FALSE(r.streaming());
  EXPECT_THROW(HttpResponse("", 600), std::invalid_argument);
}

TEST(HttpResponse, StatusReasonAndCharset) {
  HttpResponse r("x", 418, "text/plain; charset=latin-1");
  EXPECT_EQ(r.reason_phrase(), "I'm a Teapot");
  EXPECT_EQ(r.charset(), "latin-1");
  r.set_reason_phrase("Custom");
  EXPECT_EQ(r.reason_phrase(), "Custom");
}

TEST(HttpResponse, HeadersAreCaseInsensitiveAndRejectNewlines) {
  HttpResponse r;
  r.headers.set("X-Thing", "1");
  r.headers.set("x-thing", "2");
  EXPECT_EQ(r.headers.size(), 2u);  // Content-Type and X-Thing
  EXPECT_EQ(r.headers["X-THING"], "2");
  EXPECT_THROW(r.headers.set("X-Evil", "a\r\nSet-Cookie: x=1"), BadHeaderError);
  EXPECT_TRUE(r.headers.erase("X-Thing"));
  EXPECT_FALSE(r.headers.contains("x-thing"));
}

// The check reads eight bytes at a time, then the tail one by one: a CR or LF is caught at every position of
// names and values of every length around a word, and a value with neither passes.
TEST(HttpResponse, NewlinesAreFoundAtEveryPositionOfAHeader) {
  for (std::size_t length = 1; length <= 20; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (char bad : {'\r', '\n'}) {
        std::string text(length, 'v');
        text[at] = bad;
        HttpResponse r;
        EXPECT_THROW(r.headers.set("X-Value", text), BadHeaderError) << length << " " << at;
        EXPECT_THROW(r.headers.set(text, "1"), BadHeaderError) << length << " " << at;
      }
    }
    HttpResponse r;
    r.headers.set("X-Value", std::string(length, '\t'));  // a tab is allowed in a value
    EXPECT_EQ(r.headers["X-Value"], std::string(length, '\t'));
  }
}

TEST(HttpResponse, Redirects) {
  HttpResponseRedirect r("/caf\xC3\xA9/?a=b c");
  EXPECT_EQ(r.status_code(), 302);
  EXPECT_EQ(r.url(), "/caf%C3%A9/?a=b%20c");
  EXPECT_EQ(HttpResponsePermanentRedirect("https://x.org/").status_code(), 301);
  EXPECT_NO_THROW(HttpResponseRedirect("ftp://x.org/f"));
  try {
    HttpResponseRedirect bad("javascript:alert(1)");
    FAIL();
  } catch (const DisallowedRedirect& e) {
    EXPECT_EQ(std::string(e.what()), "Unsafe redirect to URL with protocol 'javascript'");
  }
  EXPECT_THROW(HttpResponseRedirect(" JavaScript:x"), DisallowedRedirect);
  EXPECT_THROW(HttpResponseRedirect("java\tscript:x"), DisallowedRedirect);
  EXPECT_THROW(HttpResponseRedirect("data:text/html,x"), DisallowedRedirect);
}

TEST(HttpResponse, TheFamily) {
  EXPECT_EQ(HttpResponseNotModified().status_code(), 304);
  EXPECT_FALSE(HttpResponseNotModified().headers.contains("Content-Type"));
  EXPECT_EQ(HttpResponseBadRequest().status_code(), 400);
  EXPECT_EQ(HttpResponseNotFound("nf").status_code(), 404);
  EXPECT_EQ(HttpResponseForbidden().status_code(), 403);
  EXPECT_EQ(HttpResponseGone().status_code(), 410);
  EXPECT_EQ(HttpResponseServerError().status_code(), 500);
  HttpResponseNotAllowed na({"GET", "POST"});
  EXPECT_EQ(na.status_code(), 405);
  EXPECT_EQ(na.headers["Allow"], "GET, POST");
  // A subclass returned as HttpResponse keeps everything (views return HttpResponse by value).
  HttpResponse as_base = HttpResponseNotAllowed({"GET"});
  EXPECT_EQ(as_base.headers["Allow"], "GET");
}

// Floats as Python's json.dumps writes them (checked with /usr/bin/python3: json.dumps([...],
// separators=(",", ":"))).
TEST(JsonResponse, FloatsAsPythonWritesThem) {
  boost::json::array values{1.0028,
                            1e20,
                            1e16,
                            1e15,
                            0.0001,
                            0.00001,
                            100.0,
                            123456789012.0,
                            -0.0,
                            5e-324,
                            1.7976931348623157e308,
                            0.1 + 0.2,
                            -2.5,
                            7};
  EXPECT_EQ(JsonResponse(values, false).content(),
            "[1.0028,1e+20,1e+16,1000000000000000.0,0.0001,1e-05,100.0,123456789012.0,-0.0,5e-324,"
            "1.7976931348623157e+308,0.30000000000000004,-2.5,7]");
  EXPECT_EQ(JsonResponse(boost::json::object{{"x", boost::json::object{{"y\"", 1.5}}}}).content(),
            "{\"x\":{\"y\\\"\":1.5}}");
  EXPECT_EQ(JsonResponse(boost::json::array{std::nan(""), HUGE_VAL, -HUGE_VAL}, false).content(),
            "[NaN,Infinity,-Infinity]");
}

// Without floats the output is Boost.JSON's own, byte for byte: integers at their limits, every escape,
// UTF-8 left as is, keys escaped as values are, nesting and empty containers.
TEST(JsonResponse, WritesWhatBoostJsonWrites) {
  boost::json::value values = boost::json::parse(R"({"id": 9223372036854775807, "neg": -9223372036854775808,
      "big": 18446744073709551615, "t": true, "f": false, "n": null, "e": [], "o": {},
      "esc": "a\"b\\c\/d\b\f\n\r\t\u0001\u001f\u007f",
      "utf8": "\u00e9\u65e5\ud83d\ude00", "k\"ey\n": [1, [2, {"x": "<script>"}]]})");
  EXPECT_EQ(JsonResponse(values).content(), boost::json::serialize(values));
  EXPECT_EQ(JsonResponse(boost::json::array{"", "plain", 0, -1}, false).content(), R"(["","plain",0,-1])");
}

// Strings are checked eight bytes at a time for what needs escaping, then the tail one by one: each such
// byte at every position of strings of every length around a word is escaped as Boost.JSON escapes it.
TEST(JsonResponse, EscapesAtEveryPositionOfAString) {
  for (std::size_t length = 1; length <= 20; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (char special : {'"', '\\', '\x01', '\x1f', '\n'}) {
        std::string text(length, 'x');
        text[at] = special;
        boost::json::array value{text};
        EXPECT_EQ(JsonResponse(value, false).content(), boost::json::serialize(value)) << length << " " << at;
      }
    }
    boost::json::array plain{std::string(length, ' ')};
    EXPECT_EQ(JsonResponse(plain, false).content(), "[\"" + std::string(length, ' ') + "\"]");
  }
}

TEST(JsonResponse, SafeAndUnsafe) {
  JsonResponse r(boost::json::object{{"a", boost::json::array{1, "\xC3\xA9"}}});
  EXPECT_EQ(r.headers["Content-Type"], "application/json");
  EXPECT_EQ(r.content(), "{\"a\":[1,\"\xC3\xA9\"]}");
  try {
    JsonResponse bad(boost::json::array{1});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "In order to allow non-dict objects to be serialized set the safe parameter to False.");
  }
  EXPECT_EQ(JsonResponse(boost::json::array{1}, false).content(), "[1]");
  EXPECT_EQ(JsonResponse(boost::json::object{}, true, 201).status_code(), 201);
}
