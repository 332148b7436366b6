#include "duet/http/json_writer.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "duet/http/json.hpp"
#include "duet/http/json_response.hpp"

using duet::http::json_dumps;
using duet::http::JsonResponse;
using duet::http::JsonWriter;

// Commas between members and elements at every level, none after an opening bracket or a key.
TEST(JsonWriter, PlacesCommasAtEveryLevel) {
  JsonWriter out;
  out.begin_object().key("a").value(1).key("b").begin_array();
  out.value(1).begin_object().end_object().begin_array().end_array().value("x").begin_array().value(2).value(
      3);
  out.end_array().end_array().key("c").begin_object().key("d").value(nullptr).end_object().end_object();
  EXPECT_EQ(out.view(), R"({"a":1,"b":[1,{},[],"x",[2,3]],"c":{"d":null}})");
}

// The same bytes as json_dumps (and so Boost.JSON, floats aside) for the same document: integers at their
// limits and of every width, escapes in keys and values, UTF-8 as is, floats as Python writes them.
TEST(JsonWriter, WritesWhatJsonDumpsWrites) {
  JsonWriter out;
  out.begin_object();
  out.key("max").value(std::numeric_limits<std::int64_t>::max());
  out.key("min").value(std::numeric_limits<std::int64_t>::min());
  out.key("umax").value(std::numeric_limits<std::uint64_t>::max());
  out.key("short").value(static_cast<short>(-7)).key("uchar").value(static_cast<unsigned char>(200));
  out.key("t").value(true).key("f").value(false);
  out.key("k\"ey\n").value(std::string("a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f"));
  out.key("utf8").value("\xC3\xA9\xE6\x97\xA5");
  out.key("floats").begin_array().value(1.0028).value(1e20).value(100.0).value(-0.0).end_array();
  out.end_object();
  boost::json::value parsed = boost::json::parse(out.view());
  EXPECT_EQ(out.view(), json_dumps(parsed));
  EXPECT_EQ(parsed.at("umax").as_uint64(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parsed.at("uchar").as_int64(), 200);
  EXPECT_EQ(parsed.at("k\"ey\n").as_string(), "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f");
}

// A Boost.JSON value inside a written document is written in place, with the commas around it.
TEST(JsonWriter, EmbedsBoostJsonValues) {
  boost::json::value inner = boost::json::parse(R"({"x":[1,2.5,"y"]})");
  JsonWriter out;
  out.begin_array()
      .value(0)
      .value(inner)
      .value(inner.at("x").as_array())
      .value(inner.as_object())
      .end_array();
  EXPECT_EQ(out.view(), R"([0,{"x":[1,2.5,"y"]},[1,2.5,"y"],{"x":[1,2.5,"y"]}])");
}

// Past the capacity given the text grows and nothing is lost; str() moves it out and empties the writer.
TEST(JsonWriter, GrowsPastItsCapacity) {
  JsonWriter out(1);
  std::vector<std::int64_t> numbers;
  out.begin_array();
  for (std::int64_t i = 0; i < 1000; ++i) {
    out.value(i * 1000003);
    numbers.push_back(i * 1000003);
  }
  out.end_array();
  std::string text = std::move(out).str();
  auto parsed = boost::json::parse(text).as_array();
  ASSERT_EQ(parsed.size(), numbers.size());
  for (std::size_t i = 0; i < numbers.size(); ++i)
    EXPECT_EQ(parsed[i].as_int64(), numbers[i]);
  EXPECT_EQ(out.view(), "");
  out.begin_object().end_object();
  EXPECT_EQ(out.view(), "{}");
}

TEST(JsonWriter, JsonResponseTakesItsText) {
  JsonWriter object;
  object.begin_object().key("id").value(3217).key("randomNumber").value(2149).end_object();
  JsonResponse r(std::move(object), true, 201);
  EXPECT_EQ(r.content(), R"({"id":3217,"randomNumber":2149})");
  EXPECT_EQ(r.headers["Content-Type"], "application/json");
  EXPECT_EQ(r.status_code(), 201);

  JsonWriter array;
  array.begin_array().value(1).end_array();
  EXPECT_THROW(JsonResponse(std::move(array)), std::invalid_argument);  // safe: an object only
  JsonWriter again;
  again.begin_array().value(1).end_array();
  EXPECT_EQ(JsonResponse(std::move(again), false).content(), "[1]");
}
